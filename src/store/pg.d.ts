// The few parts of `pg` (installed with @keyv/postgres, which ships no types for it) that the store uses.
declare module 'pg' {
  export interface PoolConfig {
    connectionString?: string;
    connectionTimeoutMillis?: number;
    max?: number;
  }
  export class Pool {
    constructor(config?: PoolConfig);
    query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
    on(event: 'error', listener: (error: Error) => void): this;
    end(): Promise<void>;
  }
  export interface ClientConfig extends PoolConfig {
    application_name?: string;
  }
  export class Client {
    constructor(config?: ClientConfig);
    connect(): Promise<void>;
    query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
    on(event: 'error', listener: (error: Error) => void): this;
    end(): Promise<void>;
  }
  const pg: { Pool: typeof Pool; Client: typeof Client };
  export default pg;
}
