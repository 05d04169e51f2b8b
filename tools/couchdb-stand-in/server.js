// CouchDB-protocol stand-in for tests: PouchDB in memory behind express-pouchdb.
// CouchDB itself is not packaged for this platform; this serves the HTTP API
// envoxy's couchdbc uses (databases, documents, _all_docs, _find, _index).
'use strict';
const express = require('express');
const PouchDB = require('pouchdb-core')
  .plugin(require('pouchdb-adapter-memory'))
  .plugin(require('pouchdb-adapter-http'))
  .plugin(require('pouchdb-mapreduce'))
  .plugin(require('pouchdb-replication'))
  .plugin(require('pouchdb-find'));

const InMemory = PouchDB.defaults({ adapter: 'memory' });
const host = process.env.HOST || '127.0.0.1';
const port = Number.parseInt(process.env.PORT || '5984', 10);
const logPath = process.env.LOG_PATH || '/dev/null';

const app = express();
app.use('/', require('express-pouchdb')(InMemory, { inMemoryConfig: true, logPath }));
app.listen(port, host, () => console.log(`couchdb stand-in on http://${host}:${port}/`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
