// An API server that keeps its start-up lean: the heavy S3 client is required inside the one route
// that needs it, so `importcost check` holds the budgets in importcost.config.json.
const express = require('express');
const { formatUser } = require('./src/users');

const app = express();
app.get('/users/:id', (req, res) => res.json(formatUser({ id: req.params.id, name: 'Ada' })));
app.post('/uploads', async (req, res) => {
  const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3'); // deferred: loads on first upload
  await new S3Client({ region: 'us-east-1' }).send(new PutObjectCommand({ Bucket: 'uploads', Key: String(Date.now()), Body: 'x' }));
  res.status(201).end();
});

const server = app.listen(Number(process.env.PORT ?? 0), () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
