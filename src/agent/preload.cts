/**
 * What `--require` loads in every Node process of the profiled command (the CLI puts it in NODE_OPTIONS,
 * which npm, shells and the program's own child processes pass on) and in every thread Node starts with
 * it: the program's worker threads each get an agent of their own (each thread has its own heap). Node 20's
 * ESM hooks thread, which the agent's own `module.register` starts, runs it too and is left out (the agent
 * marks the environment that thread copies), as are Node's other internal threads.
 */
/**
 * How many modules Node had loaded before the agent's own (process.moduleLoadList grows as they load):
 * the builtins the agent loads are then in the heap before the program's first line, and a program that
 * requires one first finds it paid for (the CLI measures them apart: profile/builtin-costs.ts).
 */
const loadedBefore = (process as unknown as { moduleLoadList: string[] }).moduleLoadList.length;

import workerThreads = require('node:worker_threads');

const internal = (workerThreads as { isInternalThread?: boolean }).isInternalThread === true;
if (!internal && process.env.IMPORTCOST_HOOKS_THREAD === undefined) require('./agent.cjs').main(loadedBefore);
