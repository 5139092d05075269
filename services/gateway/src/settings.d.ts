export declare const gatewaySettings: {
    modelDir: import("@emuedit/service-kit").SettingSpec<string>;
    httpHost: import("@emuedit/service-kit").SettingSpec<string>;
    httpPort: import("@emuedit/service-kit").SettingSpec<number>;
    grpcHost: import("@emuedit/service-kit").SettingSpec<string>;
    grpcPort: import("@emuedit/service-kit").SettingSpec<number>;
    textEncoderAddress: import("@emuedit/service-kit").SettingSpec<string>;
    vaeAddress: import("@emuedit/service-kit").SettingSpec<string>;
    unetAddress: import("@emuedit/service-kit").SettingSpec<string>;
    natsUrl: import("@emuedit/service-kit").SettingSpec<string>;
    maxBodyBytes: import("@emuedit/service-kit").SettingSpec<number>;
    maxInputPixels: import("@emuedit/service-kit").SettingSpec<number>;
    maxInstructionChars: import("@emuedit/service-kit").SettingSpec<number>;
    maxSteps: import("@emuedit/service-kit").SettingSpec<number>;
    maxGuidanceScale: import("@emuedit/service-kit").SettingSpec<number>;
    maxWorkingSidePx: import("@emuedit/service-kit").SettingSpec<number>;
    defaultTimeoutMs: import("@emuedit/service-kit").SettingSpec<number>;
    maxTimeoutMs: import("@emuedit/service-kit").SettingSpec<number>;
    maxConcurrentEdits: import("@emuedit/service-kit").SettingSpec<number>;
    previewEvery: import("@emuedit/service-kit").SettingSpec<number>;
    retryAfterS: import("@emuedit/service-kit").SettingSpec<number>;
    readyCheckMs: import("@emuedit/service-kit").SettingSpec<number>;
    seedTasks: import("@emuedit/service-kit").SettingSpec<boolean>;
    shutdownGraceMs: import("@emuedit/service-kit").SettingSpec<number>;
    metricsPort: import("@emuedit/service-kit").SettingSpec<number>;
    otlpEndpoint: import("@emuedit/service-kit").SettingSpec<string>;
};
export interface EditLimits {
    readonly maxInstructionChars: number;
    readonly maxSteps: number;
    readonly maxGuidanceScale: number;
    readonly defaultTimeoutMs: number;
    readonly maxTimeoutMs: number;
}
