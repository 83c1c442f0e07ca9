/** The database holding the dimension tables, unless named otherwise. */
export const defaultDimensionDatabase = 'adw_dims';
