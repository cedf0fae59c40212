#!/usr/bin/env node
import { cachedDataVersionTag, setFlagsFromString } from 'node:v8';

// Read before the CLI changes a flag: the tag of this node's V8 version and flags as started, which the
// agent compares with its own to know whether Node's built-in code cache fits the target
// (src/agent/agent.cts). Only when this node runs with no flags at all: one from NODE_OPTIONS, such as
// --max-old-space-size, changes the tag and rules the cache out, and the target would inherit it.
const codeCacheTag = process.execArgv.length === 0 && !process.env.NODE_OPTIONS ? cachedDataVersionTag() : undefined;

// The CLI's work is short and runs once: V8's optimizing tiers cost it more CPU than they saved. On the
// 2,187-module bench app, building the report took 95-110 ms of CPU with baseline code only (Sparkplug)
// against 140-190 ms with them, in about the same wall time, on Node 20, 22 and 24; and the CPU it does
// not take is the target's, whose end the CLI works alongside on the same cores. (Set before any of the
// CLI's own code is loaded.)
setFlagsFromString('--max-opt=1');
import('../dist/cli/main.js').then((cli) => cli.main({ codeCacheTag }));
