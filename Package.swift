// swift-tools-version:6.2
// connsync: a declarative, git-driven reconciler for database connections held by SaaS vendors.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "connsync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "connsync", targets: ["connsync"]),
        .executable(name: "connsync-bench", targets: ["connsync-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // MARK: executable
        .executableTarget(
            name: "connsync",
            dependencies: ["ConnSyncCLI"],
            swiftSettings: swiftSettings
        ),

        /// The benchmark (`make bench`): not in the product; it runs the connsync binary as a user does.
        .executableTarget(
            name: "connsync-bench",
            dependencies: [
                "ConnSyncModel",
                "ConnSyncProviders",
                "ConnSyncProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: libraries, lowest layer first
        .target(
            name: "ConnSyncModel",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConnSyncAge",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        /// libgit2's headers (`libgit2-dev`), with libgit2 itself opened by dlopen on first use:
        /// a process that reads no git does not load it and the libraries it needs.
        .target(name: "CLibGit2"),
        .target(
            name: "ConnSyncGit",
            dependencies: ["CLibGit2"],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        /// posix_spawn with the glibc file actions Swift does not import.
        .target(name: "CProcessSpawn"),
        /// mallopt(M_ARENA_MAX), which Swift does not import (``MallocArenas``).
        .target(name: "CMallocArenas"),
        .target(
            name: "ConnSyncProcess",
            dependencies: ["CProcessSpawn"],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(
            name: "ConnSyncConfig",
            dependencies: [
                "ConnSyncModel",
                "ConnSyncGit",
                "ConnSyncProcess",
                "ConnSyncAge",
                "CLibYAML",
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConnSyncPlan",
            dependencies: [
                "ConnSyncModel",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConnSyncProviders",
            dependencies: [
                "ConnSyncModel",
                "ConnSyncPlan",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConnSyncState",
            dependencies: [
                "ConnSyncModel",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConnSyncEmulator",
            dependencies: [
                "ConnSyncModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConnSyncEngine",
            dependencies: [
                "ConnSyncModel",
                "ConnSyncConfig",
                "ConnSyncGit",
                "ConnSyncPlan",
                "ConnSyncProviders",
                "ConnSyncState",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConnSyncCLI",
            dependencies: [
                "ConnSyncModel",
                "ConnSyncConfig",
                "ConnSyncGit",
                "ConnSyncPlan",
                "ConnSyncProviders",
                "ConnSyncState",
                "ConnSyncEngine",
                "ConnSyncEmulator",
                "CMallocArenas",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        /// Helpers shared by the test targets: temp dirs, process runner, emulator launcher, git fixtures.
        .target(
            name: "TestSupport",
            dependencies: ["ConnSyncModel", "ConnSyncProcess"],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),

        // MARK: tests
        .testTarget(name: "ConnSyncModelTests", dependencies: ["ConnSyncModel", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ConnSyncAgeTests", dependencies: ["ConnSyncAge", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ConnSyncConfigTests",
            dependencies: ["ConnSyncConfig", "ConnSyncGit", "ConnSyncModel", "ConnSyncProviders", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConnSyncGitTests",
            dependencies: [
                "ConnSyncGit", "CLibGit2", "ConnSyncConfig", "ConnSyncModel", "ConnSyncProviders", "ConnSyncProcess", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConnSyncPlanTests",
            dependencies: ["ConnSyncPlan", "ConnSyncModel", "ConnSyncProviders", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConnSyncProvidersTests",
            dependencies: ["ConnSyncProviders", "ConnSyncPlan", "ConnSyncModel", "ConnSyncEmulator", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ConnSyncStateTests", dependencies: ["ConnSyncState", "ConnSyncModel", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ConnSyncEmulatorTests",
            dependencies: [
                "ConnSyncEmulator", "ConnSyncModel", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConnSyncEngineTests",
            dependencies: [
                "ConnSyncEngine", "ConnSyncEmulator", "ConnSyncConfig", "ConnSyncPlan", "ConnSyncProviders", "ConnSyncState", "ConnSyncModel",
                "TestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConnSyncCLITests",
            dependencies: ["ConnSyncCLI", "ConnSyncPlan", "ConnSyncProviders", "ConnSyncModel", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "TestSupport", "ConnSyncModel", "ConnSyncProviders", "ConnSyncConfig", "ConnSyncState",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
