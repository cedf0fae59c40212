// The express example as a pre-fork server: Node's cluster starts 2 workers, and each one loads every
// dependency of ../express-server/server.js and listens (the primary shares the port between them).
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  for (let i = 0; i < 2; i++) cluster.fork();
} else {
  require('../express-server/server.js');
}
