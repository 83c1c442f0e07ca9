// Preloaded with --import: at exit, writes the URL of every module the process loaded to $ADW_LOADED_MODULES.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = new Set<string>();
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    loaded.add(r.url);
    return r;
  },
});
process.on('exit', () => writeFileSync(process.env.ADW_LOADED_MODULES!, [...loaded].join('\n')));
