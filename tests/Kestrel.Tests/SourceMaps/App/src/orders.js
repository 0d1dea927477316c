const { validateOrder } = require('./validate');

function computeTotal(order) {
  return order.items.reduce((sum, item) => sum + item.price * item.quantity, 0);
}

function placeOrder(order) {
  const total = computeTotal(order);
  validateOrder(order, total);
  return { id: order.id, total };
}

module.exports = { placeOrder };
