// Node's cluster with 2 workers: each loads the express server app (server.cjs), listens, then closes;
// a worker then disconnects and exits, and the primary exits once both have (so plain node and the
// profilers measure start-up up to listening in every worker, and nothing after it).
const cluster = require('node:cluster');
if (cluster.isPrimary) {
  let left = 2;
  for (let i = 0; i < 2; i++) cluster.fork().on('exit', () => --left === 0 && process.exit(0));
} else {
  require('./server.cjs');
  process.on('beforeExit', () => cluster.worker.disconnect());
}
