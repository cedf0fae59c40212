const express = require('express');
// Loaded at start-up although only POST /uploads uses it: a candidate for a lazy require().
const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');

const uploadsRouter = express.Router();
const s3 = new S3Client({ region: 'us-east-1' });
uploadsRouter.post('/', async (req, res) => {
  await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: String(Date.now()), Body: JSON.stringify(req.body) }));
  res.status(201).end();
});
module.exports = { uploadsRouter };
