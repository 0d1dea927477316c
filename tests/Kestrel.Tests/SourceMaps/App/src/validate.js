// Orders must have something in them.

function validateOrder(order, total) {
  if (!(total > 0)) {
    throw new Error(`Order ${order.id} has no items`);
  }
  return true;
}

module.exports = { validateOrder };
