/// The labelled credentials of the first five vendors, kept for the callers that
/// predate ``EmulatorCredentials/byVendor``; each is one entry of it.
extension EmulatorCredentials {
    public init(
        wiremockToken: String? = nil, reporterToken: String? = nil, credibleToken: String? = nil, dataforUser: String? = nil,
        dataforPassword: String? = nil, wixToken: String? = nil
    ) {
        self.init(byVendor: [:])
        self.wiremockToken = wiremockToken
        self.reporterToken = reporterToken
        self.credibleToken = credibleToken
        self.dataforUser = dataforUser
        self.dataforPassword = dataforPassword
        self.wixToken = wixToken
    }

    public var wiremockToken: String? {
        get { self[WireMockCloud.name, "token"] }
        set { self[WireMockCloud.name, "token"] = newValue }
    }

    public var reporterToken: String? {
        get { self[LerianReporter.name, "token"] }
        set { self[LerianReporter.name, "token"] = newValue }
    }

    public var credibleToken: String? {
        get { self[CredibleData.name, "token"] }
        set { self[CredibleData.name, "token"] = newValue }
    }

    public var dataforUser: String? {
        get { self[Datafor.name, "username"] }
        set { self[Datafor.name, "username"] = newValue }
    }

    public var dataforPassword: String? {
        get { self[Datafor.name, "password"] }
        set { self[Datafor.name, "password"] = newValue }
    }

    public var wixToken: String? {
        get { self[WixData.name, "token"] }
        set { self[WixData.name, "token"] = newValue }
    }
}
