import ConnSyncModel
import Testing

@Suite("Common field sets")
struct CommonFieldSetTests {
    @Test func holdsWhatIsInsertedAndIteratesInTableOrder() {
        var set = CommonFieldSet()
        #expect(set.isEmpty)
        set.insert(.ssl)
        set.insert(.host)
        set.insert(.host)
        #expect(Array(set) == [.host, .ssl])
        #expect(set.contains(.ssl) && set.contains(.host) && !set.contains(.port))
        #expect(Array(CommonFieldSet(CommonField.allCases.reversed())) == CommonField.inOrder)
    }

    @Test func subtractingKeepsOnlyTheFieldsTheOtherLacks() {
        let own = CommonFieldSet([.engine, .host, .password, .ssl])
        let holds = CommonFieldSet([.engine, .host, .port, .database, .username, .password])
        #expect(Array(own.subtracting(holds)) == [.ssl])
        #expect(own.subtracting(own).isEmpty)
        #expect(Array(holds.subtracting(own)) == [.port, .database, .username])
    }

    @Test func theSetFieldsOfDatabaseFieldsAsBits() {
        let fields = DatabaseFields(engine: .postgresql, host: "db", port: 5432, password: .resolved("s3cret-never-shown"), ssl: SSLSettings(mode: .require))
        #expect(Array(fields.setFieldSet) == [.engine, .host, .port, .password, .ssl])
        #expect(Set(fields.setFieldSet) == fields.setFields)
        #expect(DatabaseFields().setFieldSet.isEmpty)
    }
}
