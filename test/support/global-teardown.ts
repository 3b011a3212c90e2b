// Stops the services global-setup.ts started (nothing when it reused services from the environment).
export default async function globalTeardown(): Promise<void> {
  const services = globalThis.__localServices;
  globalThis.__localServices = undefined;
  if (services !== undefined) await services.stop();
}
