// A small API server for the Quick start: `importcost profile examples/express-server/server.js`.
// It loads the usual suspects at start-up; the S3 client is only needed by one route, which makes it
// the kind of import importcost tells you to defer.
const express = require('express');
const { uploadsRouter } = require('./src/uploads');
const { formatUser } = require('./src/users');

const app = express();
app.use(express.json());
app.get('/users/:id', (req, res) => res.json(formatUser({ id: req.params.id, name: 'Ada' })));
app.use('/uploads', uploadsRouter);

const server = app.listen(Number(process.env.PORT ?? 0), () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
