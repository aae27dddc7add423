using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;

namespace FaceOrleans.Grains.Storage;

/// <summary>Registers <see cref="SqliteGrainStorage"/> as a named grain storage provider.</summary>
public static class SqliteGrainStorageExtensions
{
    public static IServiceCollection AddSqliteGrainStorage(this IServiceCollection services, string name, SqliteGrainStorageOptions options) =>
        services.AddGrainStorage(name, (provider, providerName) => new SqliteGrainStorage(
            providerName,
            options,
            FaceOrleansStorage.Serializer(provider),
            provider.GetRequiredService<IOptions<ClusterOptions>>()));
}
