// Runs a bundle built from src/ and prints the error it throws as a Kestrel event (Sentry JSON),
// with the frames V8 reports for the minified code. Usage: node report.js BUNDLE RELEASE
const path = require('path');
const [bundle, release] = process.argv.slice(2);
Error.prepareStackTrace = (_, callSites) => callSites;
try {
  require(path.resolve(bundle)).run({ id: 42, items: [] });
} catch (error) {
  const frames = error.stack.map((site) => ({
    function: site.getFunctionName() || '<anonymous>',
    abs_path: site.getFileName() ? 'https://cdn.example.com/static/js/' + path.basename(site.getFileName()) + '?v=3' : undefined,
    lineno: site.getLineNumber(),
    colno: site.getColumnNumber(),
    in_app: site.getFileName() === path.resolve(bundle),
  })).filter((f) => f.in_app).reverse();
  console.log(JSON.stringify({ platform: 'javascript', release, exception: { values: [{ type: error.name, value: error.message, stacktrace: { frames } }] } }));
}
