// Entry of the bundle the @sentry/node tests run: the SDK reports the app's error to KESTREL_DSN,
// with APP_RELEASE as the release when it is set. @sentry/node stays outside the bundle.
const Sentry = require('@sentry/node');
const { run } = require('./main');

Sentry.init({ dsn: process.env.KESTREL_DSN, release: process.env.APP_RELEASE || undefined, defaultIntegrations: false });

try {
  run({ id: 42, items: [] });
} catch (error) {
  Sentry.captureException(error);
}
Sentry.flush(10000).then((sent) => process.exit(sent ? 0 : 3));
