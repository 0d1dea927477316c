// Reports one kind of error to a DSN with the real @sentry/node SDK, then exits once it was delivered.
// Usage: node report.mjs <dsn> exception|message|rejection|tagged
// The functions have names so the tests can check the frames Kestrel shows.
import * as Sentry from '@sentry/node';

const [dsn, scenario] = process.argv.slice(2);
Sentry.init({ dsn, release: 'shop-web@2.4.1', environment: 'test' });

function checkout(order) {
  if (!order.items) throw new TypeError(`Order ${order.id} has no items`);
}

function shipOrder(order) {
  throw new Error(`Order ${order.id} has no address`);
}

function applyDiscount(cart) {
  return Promise.reject(new RangeError(`Cart ${cart.id} total went negative`));
}

switch (scenario) {
  case 'exception':
    try {
      checkout({ id: 42 });
    } catch (error) {
      Sentry.captureException(error);
    }
    await Sentry.flush(10_000);
    break;
  case 'message':
    Sentry.captureMessage('Payment provider answered slowly');
    await Sentry.flush(10_000);
    break;
  case 'rejection':
    // Sentry's own listener (added by init, so it runs first) captures the rejection; this one waits
    // for the delivery and ends the process.
    process.on('unhandledRejection', async () => {
      await Sentry.flush(10_000);
      process.exit(0);
    });
    applyDiscount({ id: 7 });
    break;
  case 'tagged':
    // Three events of one issue from two users, with tags of the application's own (tier).
    for (const [id, tier] of [['u-1', 'pro'], ['u-2', 'free'], ['u-1', 'pro']]) {
      try {
        shipOrder({ id: 9 });
      } catch (error) {
        Sentry.captureException(error, { user: { id, email: `${id}@example.com` }, tags: { tier } });
      }
    }
    await Sentry.flush(10_000);
    break;
  default:
    console.error(`unknown scenario '${scenario}'`);
    process.exit(2);
}
