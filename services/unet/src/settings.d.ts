export declare const unetSettings: {
    natsUrl: import("@emuedit/service-kit").SettingSpec<string>;
    maxSteps: import("@emuedit/service-kit").SettingSpec<number>;
    maxGuidanceScale: import("@emuedit/service-kit").SettingSpec<number>;
    maxBatchRows: import("@emuedit/service-kit").SettingSpec<number>;
    publishTimeoutMs: import("@emuedit/service-kit").SettingSpec<number>;
    latentMaxAgeMs: import("@emuedit/service-kit").SettingSpec<number>;
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
