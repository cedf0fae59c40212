/**
 * Trampolines: tiny functions of the agent's own that a load runs through, so that every allocation made
 * during it has a frame on its stack that names the load (shared/NOTES.md). Built-ins only.
 */
import vm = require('node:vm');
import type { TrampolineFamily } from './types.cjs';

/**
 * Trampolines compiled per script. One vm.compileFunction per load cost about 18 us (40 ms, 0.045x of
 * plain start-up, on the 2,187-module bench app); one per 256 loads costs next to nothing, and the
 * functions of a script are told apart by their line.
 */
const TRAMPOLINE_BATCH = 256;


function trampolineFamily(prefix: string): TrampolineFamily {
  const fns: Function[] = [];
  return {
    prefix,
    fns,
    make(id: number): void {
      if (id % TRAMPOLINE_BATCH !== 0) return;
      // In parentheses, so V8 compiles them now, here (the agent's bucket), and not lazily at their first
      // call, which would charge their bytecode to the module that made the load (measured: 0.5 MB over
      // the bench app's 2,187 loads moved from the modules to the agent bucket this way).
      const body = `return [${new Array(TRAMPOLINE_BATCH).fill('(function (f, t, a) { return f.apply(t, a); })').join(',\n')}];`;
      const batch = vm.compileFunction(body, [], { filename: prefix + id / TRAMPOLINE_BATCH })() as Function[];
      fns.push(...batch);
    },
  };
}

export = { TRAMPOLINE_BATCH, trampolineFamily };
