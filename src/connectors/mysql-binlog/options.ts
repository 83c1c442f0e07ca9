/** The database holding the dimension tables, unless named otherwise. */
export const defaultDimensionDatabase = 'adw_dims';

/** mysql://user:password@host:port as connection options. */
export function mysqlConnection(url: string): { host: string; port: number; user: string; password: string } {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}
