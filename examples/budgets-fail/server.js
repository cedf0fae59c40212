// The same kind of server, but its storage module imports the S3 client at start-up: `importcost check`
// fails here, naming @aws-sdk/client-s3, the chain server.js > src/storage.js, and the import line.
import Fastify from 'fastify';
import { saveUpload } from './src/storage.js';

const app = Fastify();
app.post('/uploads', async (req) => saveUpload(req.body));
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
console.log('listening');
