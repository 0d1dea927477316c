-- Posts Kestrel.Bench's single events, each with a fresh random event_id (Kestrel stores an id once).
-- wrk -t2 -c32 -d10s -s wrk.lua URL -- BODIES_FILE TOKEN SEED
-- BODIES_FILE holds one JSON event per line; each has one "event_id":"<32 hex>" whose value is replaced.

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count) -- each thread's own random sequence, so ids never repeat between threads
end

local before, after, count, next_body = {}, {}, 0, 0
local headers = {}
local random, format = math.random, string.format

function init(args)
  math.randomseed(tonumber(args[3]) + thread_index * 1000003)
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. args[2]
  local marker = '"event_id":"'
  for line in io.lines(args[1]) do
    local at = line:find(marker, 1, true)
    count = count + 1
    before[count] = line:sub(1, at + #marker - 1)
    after[count] = line:sub(at + #marker + 32)
  end
  next_body = random(count) - 1 -- threads start at different events
end

function request()
  next_body = next_body % count + 1
  local id = format("%04x%04x%04x%04x%04x%04x%04x%04x", random(0, 65535), random(0, 65535), random(0, 65535), random(0, 65535),
    random(0, 65535), random(0, 65535), random(0, 65535), random(0, 65535))
  return wrk.format("POST", nil, headers, before[next_body] .. id .. after[next_body])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(format("kestrel-bench requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(99)))
end
