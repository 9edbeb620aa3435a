"use strict";
/*
 * Fixes for the seven faults of @vercel/cosmosdb-server 1.0.1 that docchat hits
 * (listed in the team's reference notes, section 8). The package stays unmodified on
 * disk: lib/routes.js copies each handler's `default` export when it loads, so the
 * replacement handlers are installed on the handler modules first, and lib/index.js
 * (which loads the routes) is required last. Prototype patches can happen any time.
 */
const path = require("node:path");

const NOT_FOUND = {
  code: "NotFound",
  message: "Entity with the specified id does not exist in the system.",
};
const MISSING_KEY = "PartitionKey value must be supplied for this operation.";
const KEY_MISMATCH =
  "PartitionKey extracted from document doesn't match the one specified in the header.";
const DEPENDENCY_FAILED = { statusCode: 424, requestCharge: 0 };
const MAX_BATCH_OPERATIONS = 100; // Cosmos's limit per transactional batch
const BATCH_ITEM_OPERATIONS = new Set(["Create", "Upsert", "Replace"]); // carry an item body
// Idle sockets stay open 2 minutes (Node's default: 5 s), so the server rarely closes
// a pooled SDK connection just as the client reuses it.
const KEEP_ALIVE_IDLE_MS = 120000;

/**
 * Apply every fix, then load the package's server factory. `partitionLimitBytes` (0: none)
 * is the size from which a logical partition is full (see fillPartitions).
 * Returns `createServer({ tls })`: an unstarted http(s).Server with the fixes in place.
 */
function loadPatchedServer(packageDir, { partitionLimitBytes = 0 } = {}) {
  const lib = (name) => require(path.join(packageDir, "lib", name));
  const queryLib = (name) =>
    require(require.resolve(`@zeit/cosmosdb-query/${name}`, { paths: [packageDir] }));
  fixReadOfMissingItem(lib);
  fixTransactionalBatch(lib);
  fixAdvertisedLocations(lib);
  fixQuadraticQueries(queryLib);
  fixPartitionKeyHeaderInQueries(lib);
  fixTimeToLive(lib);
  if (partitionLimitBytes > 0) fillPartitions(lib, partitionLimitBytes);
  reportMissingOwners(lib); // last: it wraps the handlers the fixes above installed
  const cosmos = lib("index"); // loads lib/routes.js: must come after the handler fixes
  return ({ tls }) => createKeepAliveServer(cosmos, tls);
}

/** Handlers of the item routes that write (a full partition refuses them). */
const WRITE_HANDLERS = [
  "batch-documents",
  "create-document",
  "patch-document",
  "replace-document",
  "upsert-document",
];

/** Handlers of the item routes `/dbs/:dbId/colls/:collId/docs...`. */
const ITEM_HANDLERS = [
  "batch-documents",
  "create-document",
  "delete-document",
  "patch-document",
  "query-documents",
  "read-document",
  "read-documents",
  "replace-document",
  "upsert-document",
];

/** Make `handler/<name>` answer with `handler` once routes.js loads. */
function replaceHandler(lib, name, handler) {
  lib(`handler/${name}`).default = handler;
}

/**
 * The key value an x-ms-documentdb-partitionkey header (`["doc-1"]`) names, boxed as
 * `{ value }`; null when the request has no such header. `[{}]` is how the SDKs spell
 * "the item has no value at the key path", so it becomes `{ value: undefined }`.
 */
function readPartitionKey(header) {
  if (!header) return null;
  const [value] = JSON.parse(header);
  return { value: value !== null && typeof value === "object" ? undefined : value };
}

// ---------------------------------------------------------------------------------
// Fault 1: read_item of a missing id or in the wrong partition answered 500 (the stock
// handler dereferenced the item before checking it exists), and the SDK retries 500s
// for ~0.6 s. Answer 404 NotFound like Cosmos; 400 when no partition key was sent.
// ---------------------------------------------------------------------------------
function fixReadOfMissingItem(lib) {
  const partitionHeader = lib("utils/get-partition-from-header");
  replaceHandler(lib, "read-document", (account, req, res, { dbId, collId, docId }) => {
    const collection = account.database(dbId).collection(collId);
    const header = partitionHeader.default(req);
    if (collection.read() && !header) {
      res.statusCode = 400;
      return { code: "BadRequest", message: MISSING_KEY };
    }
    const key = header && partitionHeader.parsePartitionKey(header, docId);
    const item = collection.read() && collection.document(docId, key).read();
    if (!item) {
      res.statusCode = 404;
      return { ...NOT_FOUND };
    }
    return item;
  });
}

// ---------------------------------------------------------------------------------
// Fault 2: transactional batch. The Python SDK sends the partition key only in the
// request header, the stock handler wanted it in every operation (so all but Create
// failed); Patch was missing; a failed atomic batch kept its earlier writes.
// ---------------------------------------------------------------------------------
function fixTransactionalBatch(lib) {
  const readJson = lib("json").default;
  const trueHeader = lib("true-header").default;
  const partitionHeader = lib("utils/get-partition-from-header").default;
  const runOperation = batchOperationRunner(lib);
  replaceHandler(lib, "batch-documents", async (account, req, res, { dbId, collId }) => {
    const operations = await readJson(req);
    const collection = account.database(dbId).collection(collId);
    if (!collection.read()) {
      res.statusCode = 404;
      return { ...NOT_FOUND };
    }
    const invalid = invalidBatch(operations, runOperation);
    if (invalid) {
      res.statusCode = 400;
      return { code: "BadRequest", message: invalid };
    }
    const options = {
      batchKey: partitionHeader(req),
      atomic: trueHeader(req, "x-ms-cosmos-batch-atomic"),
      continueOnError: trueHeader(req, "x-ms-cosmos-batch-continue-on-error"),
    };
    const { statusCode, results } = runBatch(collection, operations, runOperation, options);
    countBatch(operations.length, results);
    res.statusCode = statusCode;
    return results;
  });
}

/**
 * What the transactional batches did since the server started, for benchmarks: how many
 * committed, with how many operations, and how many failed, by the failing operation's
 * status (412: a stale ETag, as when two writers race for one document's head). Cosmos DB
 * reports each outcome to its caller only; served at GET /_devstack/batches (server.js).
 */
const batchCounts = { committed: 0, operations: 0, failed: {} };

function countBatch(size, results) {
  const failure = results.find((result) => result.statusCode >= 400 && result.statusCode !== 424);
  if (!failure) {
    batchCounts.committed += 1;
    batchCounts.operations += size;
    return;
  }
  const status = String(failure.statusCode);
  batchCounts.failed[status] = (batchCounts.failed[status] || 0) + 1;
}

/** Why a batch body is refused as a whole (400), or null when it is acceptable. */
function invalidBatch(operations, runOperation) {
  if (!Array.isArray(operations)) return "The batch request body must be an array.";
  if (operations.length > MAX_BATCH_OPERATIONS) {
    return `A transactional batch holds at most ${MAX_BATCH_OPERATIONS} operations.`;
  }
  const unsupported = operations.findIndex((op) => !runOperation.supports(op && op.operationType));
  if (unsupported < 0) return null;
  const type = (operations[unsupported] || {}).operationType;
  return `Operation type '${type}' is not supported in Batch.`;
}

/**
 * `run(collection, op)` executes one batch operation with the package's own single-item
 * operations and returns `{ statusCode, body }`; `run.supports(type)` says if it can.
 */
function batchOperationRunner(lib) {
  const ops = lib("handler/_document-operations");
  const { patchOperation } = lib("handler/_patch-operations");
  const byType = {
    Create: ops.createOperation,
    Upsert: ops.upsertOperation,
    Replace: ops.replaceOperation,
    Read: ops.readOperation,
    Delete: ops.deleteOperation,
    Patch: (collection, op) =>
      patchOperation(collection, {
        ...op,
        operations: (op.resourceBody || {}).operations || [],
        condition: (op.resourceBody || {}).condition,
      }),
  };
  const run = (collection, op) => byType[op.operationType](collection, op);
  run.supports = (type) => Object.prototype.hasOwnProperty.call(byType, type);
  return run;
}

/**
 * Run the operations in order. Operations without their own key use the header's.
 * Atomic batches stop at the first failure, undo what ran before it and answer 207
 * with the failing operation's status and 424 for every other one: the shape Cosmos
 * returns and the Python SDK turns into CosmosBatchOperationError.
 */
function runBatch(collection, operations, runOperation, { batchKey, atomic, continueOnError }) {
  const journal = [];
  const results = [];
  let failedAt = -1;
  try {
    operations.forEach((operation, index) => {
      if (failedAt >= 0 && !continueOnError) {
        results.push(DEPENDENCY_FAILED);
        return;
      }
      const op = { ...operation, partitionKey: operation.partitionKey || batchKey };
      journal.push(snapshotItem(collection, op));
      const outcome = keyProblem(collection, op) || runOperation(collection, op);
      results.push(toBatchResult(outcome));
      if (outcome.statusCode >= 400 && failedAt < 0) failedAt = index;
    });
  } catch (err) {
    if (atomic) rollBack(collection, journal);
    throw err;
  }
  if (failedAt < 0) return { statusCode: 200, results };
  if (!atomic) return { statusCode: 207, results };
  rollBack(collection, journal);
  const reported = results.map((result, i) => (i === failedAt ? result : DEPENDENCY_FAILED));
  return { statusCode: 207, results: reported };
}

/**
 * A 400 outcome when an operation has no partition key (neither its own nor the
 * header's), or when its item body's key differs from it, as in Cosmos; else null.
 */
function keyProblem(collection, op) {
  const key = readPartitionKey(op.partitionKey);
  if (!key) return badRequestOutcome(MISSING_KEY);
  if (!BATCH_ITEM_OPERATIONS.has(op.operationType) || !op.resourceBody) return null;
  if (collection.documents._getPartition(op.resourceBody) === key.value) return null;
  return badRequestOutcome(KEY_MISMATCH);
}

const badRequestOutcome = (message) => ({ statusCode: 400, body: { code: "BadRequest", message } });

/** The item an operation is about to touch, as it is now (undefined: absent). */
function snapshotItem(collection, op) {
  const id = op.id || (op.resourceBody || {}).id;
  const key = readPartitionKey(op.partitionKey);
  const partition = key ? key.value : undefined;
  return { id, partition, before: collection.document(id, partition).read() };
}

/** Put every touched item back as it was before the batch (forgetItem: see fault 7). */
function rollBack(collection, journal) {
  const { documents } = collection;
  for (const { id, partition, before } of journal.reverse()) {
    const now = collection.document(id, partition).read();
    if (now) forgetItem(documents, now);
    if (before) documents._set(before);
  }
}

/** The per-operation entry of a batch response. */
function toBatchResult({ statusCode, body }) {
  if (statusCode >= 400) return { statusCode, requestCharge: 0 };
  return { statusCode, requestCharge: 1, eTag: body && body._etag, resourceBody: body };
}

// ---------------------------------------------------------------------------------
// Fault 3: the stock server sends `Connection: close` unless created with keepAlive,
// so every SDK request paid a new TLS handshake (~30 requests/s from Python).
// ---------------------------------------------------------------------------------
function createKeepAliveServer(cosmos, tls) {
  const create = tls ? cosmos.createHttpsServer : cosmos.createHttpServer;
  const server = create({ keepAlive: true });
  server.keepAliveTimeout = KEEP_ALIVE_IDLE_MS;
  return server;
}

// ---------------------------------------------------------------------------------
// Fault 4: the account document always advertised https:// locations, so with
// --no-ssl the SDK switched to https and failed. Advertise the scheme, host and port
// the request actually arrived on.
// ---------------------------------------------------------------------------------
function fixAdvertisedLocations(lib) {
  replaceHandler(lib, "read-meta", (account, req) => {
    const advertised = account.read();
    const bound = new URL(advertised.writableLocations[0].databaseAccountEndpoint);
    const scheme = req.socket.encrypted ? "https" : "http";
    const endpoint = `${scheme}://${req.headers.host || bound.host}/`;
    const locations = [{ name: "South Central US", databaseAccountEndpoint: endpoint }];
    return { ...advertised, writableLocations: locations, readableLocations: locations };
  });
}

// ---------------------------------------------------------------------------------
// Fault 5: the query compiler (@zeit/cosmosdb-query) turns `FROM c` and every JOIN into
// `docs.reduce(($, c) => [...$, { c }], [])`, copying the accumulator once per document:
// O(N^2) in the container size. Rewrite those reduces, on the compiled JavaScript
// syntax tree, into the equivalent linear `flatMap`; make stripUndefined linear too.
// ---------------------------------------------------------------------------------
function fixQuadraticQueries(queryLib) {
  const transformer = queryLib("lib/transformer");
  const compile = transformer.default;
  transformer.default = (sqlAst) => rewriteAccumulatingReduces(compile(sqlAst));
  queryLib("lib/helpers").stripUndefined = stripUndefined;
}

/** In place: every `x.reduce(($, p) => [...$, a, ...b], [])` -> `x.flatMap(p => [a, ...b])`. */
function rewriteAccumulatingReduces(jsAst) {
  walkTree(jsAst, (node) => {
    if (!isAccumulatingReduce(node)) return;
    const [reducer] = node.arguments;
    node.callee = { ...node.callee, property: { type: "Identifier", name: "flatMap" } };
    const body = withoutAccumulator(reducer.body);
    node.arguments = [{ ...reducer, params: [reducer.params[1]], body }];
  });
  return jsAst;
}

/** Visit every node after its children (the tree may share nodes: each is seen once). */
function walkTree(node, visit, seen = new Set()) {
  if (!node || typeof node !== "object" || seen.has(node)) return;
  seen.add(node);
  Object.values(node).forEach((child) => walkTree(child, visit, seen));
  visit(node);
}

const isAccumulator = (node) => node.type === "Identifier" && node.name === "$";
const appendsToAccumulator = (node) =>
  node.type === "ArrayExpression" &&
  node.elements.length > 0 &&
  node.elements[0].type === "SpreadElement" &&
  isAccumulator(node.elements[0].argument);

/** `x.reduce(($, p) => [...$, ...], [])` or `x.reduce(($, p) => test ? [...$, ...] : $, [])`. */
function isAccumulatingReduce(node) {
  if (node.type !== "CallExpression" || node.callee.type !== "MemberExpression") return false;
  const [reducer, initial] = node.arguments;
  if (node.callee.property.name !== "reduce" || !reducer || !initial) return false;
  if (initial.type !== "ArrayExpression" || initial.elements.length !== 0) return false;
  if (reducer.type !== "ArrowFunctionExpression" || reducer.params.length !== 2) return false;
  const { body } = reducer;
  const conditional =
    body.type === "ConditionalExpression" &&
    appendsToAccumulator(body.consequent) &&
    isAccumulator(body.alternate);
  return isAccumulator(reducer.params[0]) && (appendsToAccumulator(body) || conditional);
}

/** `[...$, a]` -> `[a]` and `test ? [...$, a] : $` -> `test ? [a] : []`. */
function withoutAccumulator(body) {
  if (body.type !== "ConditionalExpression") return { ...body, elements: body.elements.slice(1) };
  const consequent = withoutAccumulator(body.consequent);
  return { ...body, consequent, alternate: { type: "ArrayExpression", elements: [] } };
}

/** The package's helper (drop `undefined` values, deeply) without its O(N^2) copies. */
function stripUndefined(value) {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(stripUndefined);
  if (!value || typeof value !== "object") return value;
  const stripped = {};
  for (const [key, v] of Object.entries(value)) {
    if (v !== undefined) stripped[key] = stripUndefined(v);
  }
  return stripped;
}

// ---------------------------------------------------------------------------------
// Fault 6: query_items(partition_key=...) sends the key as a header, which the stock
// handler ignored (it scanned every partition and refused queries without a WHERE on
// the key path). Scope the query to the header's logical partition instead.
// ---------------------------------------------------------------------------------
function fixPartitionKeyHeaderInQueries(lib) {
  const Documents = lib("account/documents").default;
  Documents.prototype.query = queryLiveDocuments;
  const readJson = lib("json").default;
  const readItems = lib("handler/_read-items").default;
  const refusal = queryRefusal(lib);
  const partitionHeader = lib("utils/get-partition-from-header").default;
  replaceHandler(lib, "query-documents", (account, req, res, { dbId, collId }) =>
    readItems(req, res, "Documents", async ({ continuation, maxItemCount }) => {
      const body = await readJson(req);
      const collection = account.database(dbId).collection(collId);
      const partition = readPartitionKey(partitionHeader(req));
      const refused = refusal(req, body, collection, partition);
      if (refused) {
        res.statusCode = 400;
        return refused;
      }
      return badRequestOnError(res, () =>
        collection.documents.query(body, { continuation, maxItemCount, partition }),
      );
    }),
  );
}

/** Why a query is refused before it runs (stock rules, minus the header case), or null. */
function queryRefusal(lib) {
  const trueHeader = lib("true-header").default;
  return (req, body, collection, partition) => {
    if (!body.query) return { code: "BadRequest", message: "missing query" };
    const paths = ((collection.read() || {}).partitionKey || {}).paths || [];
    const crossPartition = trueHeader(req, "x-ms-documentdb-query-enablecrosspartition");
    if (partition || crossPartition || !paths.length) return null;
    const scoped = collection.documents._getQuery(body.query).containsPartitionKeys(paths);
    return scoped ? null : { code: "BadRequest", message: "missing partition keys" };
  };
}

/** Run `fn`; an error it marks `badRequest` becomes a 400 answer instead of a 500. */
function badRequestOnError(res, fn) {
  try {
    return fn();
  } catch (err) {
    if (!err.badRequest) throw err;
    res.statusCode = 400;
    return { code: "BadRequest", message: err.message };
  }
}

/**
 * Documents.prototype.query: the stock Items.query, run over the live items of one
 * logical partition (`partition`, from readPartitionKey) or of all partitions (null).
 */
function queryLiveDocuments(params, { maxItemCount, continuation, partition = null } = {}) {
  const collection = this._parent.read();
  if (!collection) return null;
  const query = this._getQuery(params.query); // a SyntaxError here becomes a 400 upstream
  const indexes = (collection.indexingPolicy || {}).compositeIndexes || [];
  try {
    return query.exec(liveDocuments(this, partition), {
      parameters: params.parameters,
      udf: this._userDefinedFunctions(),
      maxItemCount,
      continuation,
      compositeIndexes: withReversedIndexes(indexes),
    });
  } catch (err) {
    err.badRequest = true;
    throw err;
  }
}

/**
 * A composite index also serves the ORDER BY with every direction flipped, as in
 * Cosmos: one (createdAt DESC, id DESC) index serves both the chat history query and
 * the (createdAt ASC, id ASC) catch-up query. The stock engine wanted an exact match.
 */
function withReversedIndexes(compositeIndexes) {
  const flip = (order) => (order === "descending" ? "ascending" : "descending");
  const reversed = compositeIndexes.map((paths) =>
    paths.map((index) => ({ ...index, order: flip(index.order) })),
  );
  return compositeIndexes.concat(reversed);
}

// ---------------------------------------------------------------------------------
// Fault 7: container defaultTtl and item `ttl` were stored but never applied. Expire
// items as Cosmos does: no container defaultTtl means nothing expires; -1 means never;
// an item's own ttl overrides the container's. Expired items are dropped when met by
// a point access (create, read, replace, delete...) or a scan (query, read feed).
// ---------------------------------------------------------------------------------
function fixTimeToLive(lib) {
  const Documents = lib("account/documents").default;
  const findItem = lib("account/items").default.prototype._item;
  Documents.prototype._item = function liveItem(keyPath, keyPathValue, partition) {
    const item = findItem.call(this, keyPath, keyPathValue, partition);
    const data = item.read();
    if (!data || !isExpired(this._parent.read(), data, Date.now() / 1000)) return item;
    forgetItem(this, data);
    return this._newItem();
  };
  // The read feed (read_all_items, change feed) lists live items only, like queries.
  Documents.prototype.read = function readFeed({ maxItemCount, continuation } = {}) {
    return this.query({ query: "SELECT * FROM c" }, { maxItemCount, continuation });
  };
}

/** Whether `item` (last written at `_ts`, in seconds) has outlived its time to live. */
function isExpired(collection, item, nowSeconds) {
  const containerTtl = collection ? collection.defaultTtl : undefined;
  if (containerTtl === undefined || containerTtl === null) return false;
  const ttl = typeof item.ttl === "number" ? item.ttl : containerTtl;
  return ttl > 0 && item._ts + ttl <= nowSeconds;
}

/**
 * The live items of a Documents store, in one partition (`{ value }`) or all (null);
 * expired ones met on the way are dropped.
 */
function liveDocuments(documents, partition) {
  const collection = documents._parent.read();
  const now = Date.now() / 1000;
  const live = [];
  for (const entry of documents._data.values()) {
    const item = entry.read();
    if (isExpired(collection, item, now)) forgetItem(documents, item);
    else if (!partition || documents._getPartition(item) === partition.value) live.push(item);
  }
  return live;
}

/**
 * Remove an item and its index entries without going through `_item` (which would
 * recurse into the expiry check): the same bookkeeping as the stock Items.delete.
 */
function forgetItem(documents, item) {
  const partition = documents._getPartition(item);
  for (const keyPath of documents._uniqueKeyPaths) {
    const value = keyPath
      .slice(1)
      .split("/")
      .reduce((node, key) => (node ? node[key] : undefined), item);
    documents._index.delete(documents._getId(keyPath, value, partition));
  }
  documents._data.delete(item._rid);
}

// ---------------------------------------------------------------------------------
// Fault 8 (not in the reference notes): an item request to a database or container that
// does not exist answered 404 without a sub-status, or 400 or 500, depending on the route.
// Cosmos DB answers 404 with sub-status 1003 ("owner resource does not exist"; the
// sub-status table of Azure's "HTTP status codes for Azure Cosmos DB"), which is how a
// client tells a deleted container from a missing item and creates the container again.
// ---------------------------------------------------------------------------------
function reportMissingOwners(lib) {
  for (const name of ITEM_HANDLERS) {
    const handler = lib(`handler/${name}`).default;
    replaceHandler(lib, name, (account, req, res, params) => {
      const database = account.database(params.dbId);
      if (database.read() && database.collection(params.collId).read()) {
        return handler(account, req, res, params);
      }
      res.statusCode = 404;
      res.setHeader("x-ms-substatus", "1003");
      return { code: "NotFound", message: "Owner resource does not exist" };
    });
  }
}

// ---------------------------------------------------------------------------------
// Not a fault, a limit: one logical partition holds at most 20 GB, and then Cosmos DB
// refuses every write to it with 403, sub-status 1014 ("Partition key reached maximum
// size"; the sub-status table of Azure's "HTTP status codes for Azure Cosmos DB"). The
// server has no such limit of its own; with a limit given, a partition whose live items
// take that many bytes (as JSON) or more refuses writes the same way. Deletes still work,
// and so does expiry: both make room, as in Cosmos DB.
// ---------------------------------------------------------------------------------
function fillPartitions(lib, limitBytes) {
  const partitionHeader = lib("utils/get-partition-from-header").default;
  for (const name of WRITE_HANDLERS) {
    const handler = lib(`handler/${name}`).default;
    replaceHandler(lib, name, (account, req, res, params) => {
      const collection = account.database(params.dbId).collection(params.collId);
      const partition = readPartitionKey(partitionHeader(req));
      if (!partition || !collection.read()) return handler(account, req, res, params);
      if (partitionBytes(collection.documents, partition) < limitBytes) {
        return handler(account, req, res, params);
      }
      res.statusCode = 403;
      res.setHeader("x-ms-substatus", "1014");
      return { code: "Forbidden", message: "Partition key reached maximum size of 20 GB" };
    });
  }
}

/** The bytes, as JSON, of the live items of one logical partition. */
function partitionBytes(documents, partition) {
  return liveDocuments(documents, partition).reduce(
    (total, item) => total + Buffer.byteLength(JSON.stringify(item)),
    0,
  );
}

module.exports = { loadPatchedServer, batchCounts };
