using System.Text;
using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;
using StatsApi.Tokens;

namespace StatsApi.Portal;

/// <summary>
/// ASP.NET Core's data-protection key ring in PostgreSQL, so every instance reads the portal's cookies and
/// antiforgery tokens whichever instance wrote them. Each key is encrypted like the signing keys, under
/// Tokens:KeyEncryptionKey when it is set, so a copy of the database alone cannot forge a session.
/// </summary>
internal sealed class DataProtectionKeys(NpgsqlDataSource dataSource, KeyProtector protector) : IXmlRepository
{
    // The framework's interface is synchronous; it reads the ring once and again only when a key nears its end.
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = dataSource.OpenConnection();
        return connection.Query<(string Name, byte[] Xml, string Protection)>("select name, xml, protection from data_protection_keys order by created_at")
            .Select(row => XElement.Parse(Encoding.UTF8.GetString(protector.Unprotect($"data-protection:{row.Name}", row.Xml, row.Protection))))
            .ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        var (stored, protection) = protector.Protect($"data-protection:{friendlyName}", Encoding.UTF8.GetBytes(element.ToString(SaveOptions.DisableFormatting)));
        using var connection = dataSource.OpenConnection();
        connection.Execute("insert into data_protection_keys (name, xml, protection) values (@friendlyName, @stored, @protection) on conflict (name) do nothing",
            new { friendlyName, stored, protection });
    }
}
