import ConnSyncModel
import ConnSyncPlan
import Testing

@testable import ConnSyncProviders

/// The registry and each vendor's definition: the rules agree with the mapping they sit next
/// to, so no list is kept in step by hand.
@Suite("Vendor registry")
struct RegistryTests {
    let registry = VendorRegistry.standard

    @Test func rulesFollowTheMappingTable() throws {
        let rules = registry.catalog
        #expect(try #require(rules.rules(for: .datafor)).fields.contains(.schema) == false)
        #expect(try #require(rules.rules(for: .lerianReporter)).fields.contains(.ssl))
        #expect(try #require(rules.rules(for: .wixData)).fields.isEmpty)
        #expect(try #require(rules.rules(for: .wiremockCloud)).engines.contains(.mongodb) == false)
        #expect(try #require(rules.rules(for: .credibleData)).engines == [.postgresql, .mysql])
        let wix = try #require(rules.rules(for: .wixData))
        #expect(wix.rateLimit(of: ProviderConfig(name: "w", type: .wixData)) == RateLimit(count: 200, per: .minute))
        let wiremock = try #require(rules.rules(for: .wiremockCloud))
        #expect(wiremock.baseURL(of: ProviderConfig(name: "w", type: .wiremockCloud)) == "https://api.wiremock.cloud")
        let reporter = try #require(rules.rules(for: .lerianReporter))
        #expect(reporter.baseURL(of: ProviderConfig(name: "r", type: .lerianReporter)) == nil)
        #expect(reporter.baseURL(of: ProviderConfig(name: "r", type: .lerianReporter, baseURL: "https://r.example")) == "https://r.example")
    }

    @Test func everyDefinitionIsOfOneVendor() {
        #expect(registry.types == [.wiremockCloud, .lerianReporter, .credibleData, .datafor, .wixData, .grafana, .metabase])
        for definition in registry.definitions {
            #expect(definition.rules.type == definition.mapping.vendor)
            #expect(registry.definition(for: definition.type)?.type == definition.type)
        }
        #expect(registry.definition(for: "no-such-vendor") == nil)
    }

    /// An engine the rules accept is one the mapping can write, and back.
    @Test(arguments: VendorRegistry.standard.definitions.map(\.type))
    func enginesRoundTripThroughTheMapping(_ type: VendorType) throws {
        let definition = try #require(registry.definition(for: type))
        let provider = ProviderConfig(name: "p", type: type, settings: ["userId": "u", "project": "p"])
        for engine in definition.rules.engines {
            let connection = DesiredConnection(
                address: Address(provider: "p", name: "orders"), vendor: type, fields: DatabaseFields(engine: engine, host: "h", port: 1))
            let view = definition.mapping.normalize(definition.mapping.vendorObject(for: connection, provider: provider))
            #expect(view["engine"] == .string(engine.rawValue), "\(type) \(engine)")
        }
    }

    /// A key the rules accept in spec.options for a common field is where the mapping writes it.
    @Test(arguments: VendorRegistry.standard.definitions.map(\.type))
    func optionKeysAreTheMappingsKeys(_ type: VendorType) throws {
        let definition = try #require(registry.definition(for: type))
        let provider = ProviderConfig(name: "p", type: type, settings: ["userId": "u", "project": "p"])
        let fields = DatabaseFields(engine: .postgresql, host: "db.internal", port: 5432, database: "orders", username: "app")
        let object = definition.mapping.vendorObject(
            for: DesiredConnection(address: Address(provider: "p", name: "orders"), vendor: type, fields: fields), provider: provider)
        for (field, key) in definition.rules.optionKeys where field != .engine {
            #expect(object[key] != nil || object.objectValue?.values.contains { $0[key] != nil } == true, "\(type): \(field) as \(key)")
        }
    }

    @Test func settingKeysAreListedOnceInRegistryOrder() {
        #expect(registry.catalog.settingKeys == ["userId", "productName", "tenantId", "project"])
        #expect(registry.catalog.vendors(reading: "tenantId") == [.lerianReporter])
    }

    @Test func anUnknownVendorHasNoProvider() {
        #expect(throws: ProviderError.self) {
            _ = try registry.provider(
                for: ProviderConfig(name: "x", type: "no-such-vendor", baseURL: "http://127.0.0.1:1"), transport: FailingTransport(),
                jobWait: JobWaitPolicy(clock: ManualClock()))
        }
    }
}

/// A transport that must never be called.
struct FailingTransport: HTTPTransport {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        Issue.record("no request may be sent")
        throw TransportError.cancelledBeforeSending
    }
}
