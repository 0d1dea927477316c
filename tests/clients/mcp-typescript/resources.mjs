// Drives Kestrel's MCP resources, completion and prompts with the official TypeScript SDK client, the way
// Claude Code uses them (@-mentions read resources, slash commands get prompts).
//   node resources.mjs http  URL TOKEN FOREIGN_ISSUE_ID WORD REGRESSED_ISSUE_ID HELD_ISSUE_ID
//   node resources.mjs stdio KESTREL_DLL DATA_DIRECTORY TOKEN FOREIGN_ISSUE_ID WORD REGRESSED_ISSUE_ID HELD_ISSUE_ID
// FOREIGN_ISSUE_ID is an issue of another project; WORD a word of one issue's title, for completion;
// REGRESSED_ISSUE_ID and HELD_ISSUE_ID issues whose fix did not hold and did, for verify_fix.
// Prints one JSON report on stdout; exits 1 with the error on stderr when anything unexpected fails.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { transportFrom } from "./transport.mjs";

const { transport, rest: [foreignIssueId, word, regressedIssueId, heldIssueId] } = transportFrom(process.argv.slice(2));

// An MCP error answer, kept for the report; anything else (a transport failure) stops the run.
const attempt = async (work) => {
  try {
    return { ok: true, result: await work() };
  } catch (error) {
    if (typeof error?.code !== "number") throw error;
    return { ok: false, code: error.code, message: error.message };
  }
};

const client = new Client({ name: "kestrel-typescript-resources", version: "1.0.0" });
try {
  await client.connect(transport);
  const report = { capabilities: client.getServerCapabilities(), instructions: client.getInstructions() };
  report.templates = (await client.listResourceTemplates()).resourceTemplates;

  report.pages = [];
  let cursor;
  do {
    const page = await client.listResources(cursor ? { cursor } : {});
    report.pages.push(page.resources);
    cursor = page.nextCursor;
  } while (cursor && report.pages.length < 20);

  const first = report.pages[0][0];
  const issueId = first.uri.split("/").pop();
  report.read = (await client.readResource({ uri: first.uri })).contents;
  const eventId = /Event 1\/\d+ ([0-9a-f]{32})/.exec(report.read[0].text)[1];
  report.event = (await client.readResource({ uri: `kestrel://issues/${issueId}/events/${eventId}` })).contents;
  report.readErrors = {
    foreign: await attempt(() => client.readResource({ uri: `kestrel://issues/${foreignIssueId}` })),
    missing: await attempt(() => client.readResource({ uri: "kestrel://issues/987654" })),
    missingEvent: await attempt(() => client.readResource({ uri: `kestrel://issues/${issueId}/events/${"0".repeat(32)}` })),
    otherScheme: await attempt(() => client.readResource({ uri: "file:///etc/passwd" })),
    malformed: await attempt(() => client.readResource({ uri: "kestrel://issues/abc" })),
  };

  const complete = (ref, name, value, context) => client.complete({ ref, argument: { name, value }, ...(context ? { context: { arguments: context } } : {}) });
  const issueTemplate = { type: "ref/resource", uri: "kestrel://issues/{id}" };
  report.completions = {
    all: (await complete(issueTemplate, "id", "")).completion,
    byWord: (await complete(issueTemplate, "id", word)).completion,
    byId: (await complete(issueTemplate, "id", issueId)).completion,
    foreignId: (await complete(issueTemplate, "id", String(foreignIssueId))).completion,
    eventId: (await complete({ type: "ref/resource", uri: "kestrel://issues/{id}/events/{event_id}" }, "event_id", eventId.slice(0, 6), { id: issueId })).completion,
    prompt: (await complete({ type: "ref/prompt", name: "fix_error" }, "issue_id", word)).completion,
    query: (await complete({ type: "ref/prompt", name: "triage" }, "query", "is:")).completion,
  };

  report.prompts = (await client.listPrompts()).prompts;
  report.getPrompt = {
    fixError: await attempt(() => client.getPrompt({ name: "fix_error", arguments: { issue_id: issueId } })),
    triageDefault: await attempt(() => client.getPrompt({ name: "triage" })),
    triageQuery: await attempt(() => client.getPrompt({ name: "triage", arguments: { query: `is:unresolved ${word}` } })),
    verifyUnresolved: await attempt(() => client.getPrompt({ name: "verify_fix", arguments: { issue_id: issueId } })),
    fixForeign: await attempt(() => client.getPrompt({ name: "fix_error", arguments: { issue_id: String(foreignIssueId) } })),
    fixNotANumber: await attempt(() => client.getPrompt({ name: "fix_error", arguments: { issue_id: "forty-two" } })),
    fixWithoutArguments: await attempt(() => client.getPrompt({ name: "fix_error" })),
    triageTag: await attempt(() => client.getPrompt({ name: "triage", arguments: { query: "browser:\"Firefox 130\"" } })),
    triageBadQuery: await attempt(() => client.getPrompt({ name: "triage", arguments: { query: "timesSeen:>many" } })),
    verifyRegressed: await attempt(() => client.getPrompt({ name: "verify_fix", arguments: { issue_id: regressedIssueId } })),
    verifyHeld: await attempt(() => client.getPrompt({ name: "verify_fix", arguments: { issue_id: heldIssueId } })),
  };
  await client.callTool({ name: "mark_resolved", arguments: { issue_id: Number(issueId), commit_sha: "abcdef0", note: "fixed" } });
  report.getPrompt.verifyResolved = await attempt(() => client.getPrompt({ name: "verify_fix", arguments: { issue_id: issueId } }));
  report.afterResolve = (await client.listResources()).resources.map((r) => r.uri);

  console.log(JSON.stringify(report));
  await client.close();
} catch (error) {
  console.error(String(error?.stack ?? error));
  process.exit(1);
}
