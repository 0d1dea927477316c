// Runs a bundle built from src/ and prints the error it throws as a Kestrel event (Sentry JSON),
// with the frames V8 reports for the minified code, their files shown as if served from a CDN.
// A bundle that `sentry-cli sourcemaps inject` marked carries debug IDs in globalThis._sentryDebugIds
// (keyed by a stack trace taken inside the bundle); they go into debug_meta as @sentry/* SDKs put them.
// Usage: node report.js BUNDLE [RELEASE]
const path = require('path');
const [bundle, release] = process.argv.slice(2);
const cdn = (file) => 'https://cdn.example.com/static/js/' + path.basename(file) + '?v=3';

let thrown;
try {
  require(path.resolve(bundle)).run({ id: 42, items: [] });
} catch (error) {
  thrown = error;
}
Error.prepareStackTrace = (_, callSites) => callSites;
const sites = thrown.stack; // prepared lazily, on first access
const frames = sites
  .filter((site) => site.getFileName() === path.resolve(bundle))
  .map((site) => ({
    function: site.getFunctionName() || '<anonymous>',
    abs_path: cdn(site.getFileName()),
    lineno: site.getLineNumber(),
    colno: site.getColumnNumber(),
    in_app: true,
  }))
  .reverse();

const images = Object.entries(globalThis._sentryDebugIds || {}).map(([stack, debugId]) => {
  const file = stack.split('\n').map((line) => line.match(/\((\/[^):]+):\d+:\d+\)|at (\/[^):]+):\d+:\d+/)).find(Boolean);
  return { type: 'sourcemap', code_file: cdn(file[1] || file[2]), debug_id: debugId };
});

const event = { platform: 'javascript', exception: { values: [{ type: thrown.name, value: thrown.message, stacktrace: { frames } }] } };
if (release) event.release = release;
if (images.length > 0) event.debug_meta = { images };
console.log(JSON.stringify(event));
