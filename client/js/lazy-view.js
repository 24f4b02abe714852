// A screen whose module is loaded the first time its URL opens: the app starts with the shell
// alone, and the service worker precaches every screen's module, so each one opens offline too.
export function lazy(load, name) {
  return async (...args) => (await load())[name](...args);
}
