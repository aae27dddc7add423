using System.Security.Claims;
using System.Text.Encodings.Web;
using FaceOrleans.Api.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Api.Security;

/// <summary>Authenticates the <c>X-Api-Key</c> header; answers 401 and 403 with problem details.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyCache keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Header = "X-Api-Key";
    public const string TenantClaim = "faceorleans:tenant";
    public const string KeyIdClaim = "faceorleans:key";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Header, out var values) || string.IsNullOrWhiteSpace(values.ToString()))
        {
            return AuthenticateResult.NoResult();
        }

        var identity = await keys.FindAsync(values.ToString().Trim(), Context.RequestAborted);
        if (identity is null)
        {
            return AuthenticateResult.Fail("unknown or revoked API key");
        }

        var claims = new List<Claim>
        {
            new(ClaimTypes.Role, identity.Role.ToString()),
            new(KeyIdClaim, identity.KeyId),
        };
        if (identity.Tenant is not null)
        {
            claims.Add(new Claim(TenantClaim, identity.Tenant));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{Header}\"";
        var known = Request.Headers.ContainsKey(Header);
        return ApiProblems.Write(Context, known
            ? ApiProblems.Create(StatusCodes.Status401Unauthorized, "invalid-api-key", "Invalid API key", "The X-Api-Key header holds an unknown or revoked key.")
            : ApiProblems.Create(StatusCodes.Status401Unauthorized, "missing-api-key", "API key required", "Send your tenant's API key in the X-Api-Key header."));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiProblems.Write(Context, ApiProblems.Create(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", "This API key may not use this route."));
}
