#!/usr/bin/env node
"use strict";
/*
 * Local Cosmos DB (NoSQL API) for docchat's dev stack and tests.
 *
 *   node devstack/cosmos/server.js --port 8081 --host 127.0.0.1 [--no-ssl] [--stop-with-stdin]
 *     [--latency-ms N] [--partition-limit-bytes N]
 *
 * Runs the npm package @vercel/cosmosdb-server, loaded unmodified, with the fixes in
 * ./patches.js applied before its routes load. One process (never npx), in-memory data.
 * When listening it prints exactly one line, `cosmos listening on <endpoint>`, which
 * devstack/cosmos/__init__.py waits for. SIGINT/SIGTERM stop it cleanly, and so does
 * the end of stdin with --stop-with-stdin: the Python wrapper holds stdin open, so the
 * server never outlives a test run that was killed before it could stop it. With
 * --latency-ms N each request waits N ms before it is handled, as a round trip to Azure
 * would take (on loopback it takes a fraction of a millisecond). With
 * --partition-limit-bytes N a logical partition holding N bytes or more refuses writes as a
 * full one (20 GB) does in Azure: 403, sub-status 1014 (see patches.js). GET
 * /_devstack/batches answers how many transactional batches committed and failed, for the
 * benchmarks.
 *
 * Keep this file free of syntax newer than Node 12, so that an old node still gets
 * the clear "install Node.js 20" message below rather than a SyntaxError.
 */

var PINNED_VERSION = "1.0.1"; // patches.js relies on this version's internals
var MIN_NODE_MAJOR = 20;
// The server accepts any key, so it must never be reachable from another machine.
var LOOPBACK_HOSTS = ["127.0.0.1", "localhost"];
var STOP_GRACE_MS = 3000;

/** Print a one-line reason on stderr and exit: the Python wrapper shows that line. */
function fail(message) {
  process.stderr.write("cosmos: " + message + "\n");
  process.exit(2);
}

/** Fail early on an old Node: the package and the patches need Node 20. */
function checkNodeVersion() {
  var major = Number(process.versions.node.split(".")[0]);
  if (major < MIN_NODE_MAJOR) {
    fail("Node.js " + process.versions.node + " is too old: install Node.js " + MIN_NODE_MAJOR);
  }
}

/** Read the options (see the top of this file); bind loopback only. */
function parseOptions() {
  var parsed = require("node:util").parseArgs({
    options: {
      port: { type: "string", default: "8081" },
      host: { type: "string", default: "127.0.0.1" },
      "no-ssl": { type: "boolean", default: false },
      "stop-with-stdin": { type: "boolean", default: false },
      "latency-ms": { type: "string", default: "0" },
      "partition-limit-bytes": { type: "string", default: "0" },
    },
  }).values;
  var partitionLimitBytes = Number(parsed["partition-limit-bytes"]);
  if (!Number.isInteger(partitionLimitBytes) || partitionLimitBytes < 0) {
    fail("--partition-limit-bytes must be a whole number from 0 (0: no limit)");
  }
  var latencyMs = Number(parsed["latency-ms"]);
  if (!Number.isInteger(latencyMs) || latencyMs < 0) {
    fail("--latency-ms must be a whole number from 0, got " + parsed["latency-ms"]);
  }
  var port = Number(parsed.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail("--port must be 0-65535 (0 picks a free port), got " + parsed.port);
  }
  if (LOOPBACK_HOSTS.indexOf(parsed.host) < 0) {
    fail("--host must be one of " + LOOPBACK_HOSTS.join(", ") + ": this server has no auth");
  }
  return {
    port: port,
    host: parsed.host,
    tls: !parsed["no-ssl"],
    stopWithStdin: parsed["stop-with-stdin"],
    latencyMs: latencyMs,
    partitionLimitBytes: partitionLimitBytes,
  };
}

/** Find the installed package and insist on the pinned version. */
function locatePackage() {
  var path = require("node:path");
  var manifest;
  try {
    manifest = require.resolve("@vercel/cosmosdb-server/package.json");
  } catch (err) {
    fail("@vercel/cosmosdb-server is not installed: run `npm ci` in the project root first");
  }
  var version = require(manifest).version;
  if (version !== PINNED_VERSION) {
    fail(
      "@vercel/cosmosdb-server " + version + " found, " + PINNED_VERSION +
        " expected (the patches depend on it): run `npm ci` in the project root",
    );
  }
  return path.dirname(manifest);
}

/** Close the listener and every socket, then exit; force the exit if that hangs. */
function stopOnSignals(server, stopWithStdin) {
  function stop() {
    server.close(function onClosed() {
      process.stdout.write("cosmos stopped\n");
      process.exit(0);
    });
    server.closeAllConnections();
    setTimeout(function forceExit() {
      process.exit(0);
    }, STOP_GRACE_MS).unref();
  }
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  if (stopWithStdin) {
    process.stdin.once("end", stop);
    process.stdin.resume();
  }
}

/** Hold each request latencyMs before its handlers see it: the way to Azure and back. */
function delayRequests(server, latencyMs) {
  if (latencyMs === 0) {
    return;
  }
  var handlers = server.listeners("request");
  server.removeAllListeners("request");
  server.on("request", function delayed(req, res) {
    // The body waits in the paused request stream until a handler reads it.
    setTimeout(function handle() {
      handlers.forEach(function call(handler) {
        handler.call(server, req, res);
      });
    }, latencyMs);
  });
}

/**
 * Answer GET /_devstack/batches with the batch counts (patches.js); every other request
 * goes on to the Cosmos routes. Not a Cosmos DB path: the benchmarks read it.
 */
function serveBatchCounts(server, counts) {
  var handlers = server.listeners("request");
  server.removeAllListeners("request");
  server.on("request", function routed(req, res) {
    if (req.method === "GET" && req.url === "/_devstack/batches") {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify(counts));
      return;
    }
    handlers.forEach(function call(handler) {
      handler.call(server, req, res);
    });
  });
}

/** Listen, then announce the endpoint on the one line the Python side parses. */
function main() {
  checkNodeVersion();
  var options = parseOptions();
  var patches = require("./patches");
  var createServer = patches.loadPatchedServer(locatePackage(), {
    partitionLimitBytes: options.partitionLimitBytes,
  });
  var server = createServer({ tls: options.tls });
  serveBatchCounts(server, patches.batchCounts);
  delayRequests(server, options.latencyMs);
  server.on("error", function onError(err) {
    fail("cannot listen on " + options.host + ":" + options.port + ": " + err.message);
  });
  server.listen(options.port, options.host, function onListening() {
    var scheme = options.tls ? "https" : "http";
    var endpoint = scheme + "://" + options.host + ":" + server.address().port;
    process.stdout.write("cosmos listening on " + endpoint + "\n");
  });
  stopOnSignals(server, options.stopWithStdin);
}

main();
