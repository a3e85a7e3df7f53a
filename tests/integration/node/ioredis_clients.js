// A Node process using Redis as services do: two ioredis clients and a subscriber connection.
// Prints {"clients": 3} once all three are ready; exits when stdin closes or after a minute.
const Redis = require("ioredis");

const port = Number(process.argv[2]);
const options = { port, host: "127.0.0.1", maxRetriesPerRequest: 1 };

async function main() {
  const clients = [new Redis(options), new Redis(options)];
  const subscriber = clients[0].duplicate();
  await Promise.all(clients.map((client) => client.ping()));
  await subscriber.subscribe("news");
  process.stdout.write(JSON.stringify({ clients: clients.length + 1 }) + "\n");
}

main();
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
setTimeout(() => process.exit(0), 60000).unref();
