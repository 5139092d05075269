// Prometheus' HTTP API (v1), the parts the checks and plots use.

export interface InstantSample {
  readonly metric: Record<string, string>;
  readonly value: readonly [number, string];
}

export interface RangeSeries {
  readonly metric: Record<string, string>;
  readonly values: readonly (readonly [number, string])[];
}

export interface TargetHealth {
  readonly labels: Record<string, string>;
  readonly health: "up" | "down" | "unknown";
  readonly lastError: string;
}

export class PrometheusApi {
  constructor(readonly baseUrl: string) {}

  private async get<T>(path: string, params: Record<string, string>): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== "success") throw new Error(`${path} ${JSON.stringify(params)}: ${body.error ?? res.status}`);
    return body.data;
  }

  async query(expr: string, time?: number): Promise<InstantSample[]> {
    const data = await this.get<{ resultType: string; result: InstantSample[] }>("/api/v1/query", { query: expr, ...(time ? { time: String(time) } : {}) });
    if (data.resultType !== "vector") throw new Error(`${expr}: a ${data.resultType}, not an instant vector`);
    return data.result;
  }

  async queryRange(expr: string, start: number, end: number, stepS: number): Promise<RangeSeries[]> {
    const data = await this.get<{ result: RangeSeries[] }>("/api/v1/query_range", { query: expr, start: String(start), end: String(end), step: String(stepS) });
    return data.result;
  }

  async targets(): Promise<TargetHealth[]> {
    const data = await this.get<{ activeTargets: TargetHealth[] }>("/api/v1/targets", { state: "active" });
    return data.activeTargets;
  }

  /** Recording and alerting rules as loaded, with each one's last evaluation error. */
  async rules(): Promise<{ name: string; type: string; health: string; lastError?: string }[]> {
    const data = await this.get<{ groups: { rules: { name: string; type: string; health: string; lastError?: string }[] }[] }>("/api/v1/rules", {});
    return data.groups.flatMap((g) => g.rules);
  }
}
