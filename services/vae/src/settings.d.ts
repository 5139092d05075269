export declare const vaeSettings: {
    maxBatch: import("@emuedit/service-kit").SettingSpec<number>;
    maxSidePx: import("@emuedit/service-kit").SettingSpec<number>;
    modelDir: import("@emuedit/service-kit").SettingSpec<string>;
    host: import("@emuedit/service-kit").SettingSpec<string>;
    port: import("@emuedit/service-kit").SettingSpec<number>;
    workers: import("@emuedit/service-kit").SettingSpec<number>;
    intraOpThreads: import("@emuedit/service-kit").SettingSpec<number>;
    maxQueue: import("@emuedit/service-kit").SettingSpec<number>;
    shutdownGraceMs: import("@emuedit/service-kit").SettingSpec<number>;
    metricsPort: import("@emuedit/service-kit").SettingSpec<number>;
    otlpEndpoint: import("@emuedit/service-kit").SettingSpec<string>;
};
export type VaeLimits = {
    maxBatch: number;
    maxSidePx: number;
};
