/**
 * Marks a plugin so that what it registers (hooks, handlers, decorations) applies to the instance it is
 * registered on rather than to a child context: Fastify's `skip-override` symbol, as fastify-plugin sets it.
 * Used only by the server-wide plugins (errors, auth, metrics); route plugins stay encapsulated.
 */
export function unencapsulated<T extends (...args: never[]) => unknown>(plugin: T): T {
  Object.defineProperty(plugin, Symbol.for('skip-override'), { value: true });
  return plugin;
}
