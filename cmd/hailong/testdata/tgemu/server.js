// Starts telegram-test-api (an independent Telegram Bot API emulator, not
// written by this project) on 127.0.0.1 at the port given, and says so on
// stdout once it listens. TestIndependentEmulator drives it.
const TelegramServer = require('telegram-test-api');

const port = Number(process.argv[2]);
const server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 600 });
server.start().then(() => {
  console.log(`listening ${port}`);
});
process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
