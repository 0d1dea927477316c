// A small app the source-map tests bundle and minify with esbuild. Its error is thrown three
// calls deep, in validate.js, so a resolved stack has original files, lines and functions to check.
const { placeOrder } = require('./orders');

function run(order) {
  return placeOrder(order);
}

module.exports = { run };
