using Microsoft.Extensions.Logging;

namespace Kestrel.Platform;

/// <summary>The admin password and the session-signing key, settled once at server start.</summary>
public sealed class Secrets
{
    public required string AdminPassword { get; init; }
    public required byte[] SessionKey { get; init; }

    public static Secrets Load(KestrelOptions options, DataDirectory data, ILogger logger)
    {
        string password;
        if (options.AdminPassword is not null)
        {
            password = options.AdminPassword;
            logger.LogInformation("Admin password: taken from KESTREL_ADMIN_PASSWORD (or admin_password in kestrel.toml).");
        }
        else
        {
            (password, var generated) = DataDirectory.ReadOrCreateSecret(data.AdminPasswordPath, () => DataDirectory.RandomUrlSafe(18));
            if (generated)
                logger.LogWarning("Admin password generated: {Password} (stored in {Path}; shown only this once)", password, data.AdminPasswordPath);
            else
                logger.LogInformation("Admin password: read from {Path}.", data.AdminPasswordPath);
        }
        var (session, _) = DataDirectory.ReadOrCreateSecret(data.SessionSecretPath, () => DataDirectory.RandomUrlSafe(32));
        return new Secrets { AdminPassword = password, SessionKey = System.Text.Encoding.UTF8.GetBytes(session) };
    }
}
