// A ~300-module HTTP server: express with common middleware. Starts listening, then closes and exits,
// so plain node and the profilers all measure start-up up to listening and nothing after it.
const express = require('express');
const cors = require('cors');
const helmet = require('helmet');
const morgan = require('morgan');
const compression = require('compression');
const cookieParser = require('cookie-parser');
const pino = require('pino');
const dotenv = require('dotenv');
const jwt = require('jsonwebtoken');
const uuid = require('uuid');
const Ajv = require('ajv');

const log = pino({ level: 'silent' });
const validate = new Ajv().compile({ type: 'object', properties: { name: { type: 'string' } } });
const app = express();
app.use(cors(), helmet(), compression(), cookieParser(), morgan('tiny', { skip: () => true }), express.json());
app.get('/token', (req, res) => res.json({ token: jwt.sign({ id: uuid.v4() }, dotenv.config({ quiet: true }).parsed?.SECRET ?? 'dev') }));
app.post('/echo', (req, res) => res.json({ ok: validate(req.body) }));
const server = app.listen(0, () => {
  log.info('listening');
  server.close();
});
