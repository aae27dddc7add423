using System.Security.Claims;
using FaceOrleans.Api.Problems;
using FaceOrleans.Contracts;

namespace FaceOrleans.Api.Security;

/// <summary>Which tenants a caller may act for, and with what rights.</summary>
public static class TenantAccess
{
    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(nameof(ApiKeyRole.Admin));

    public static string? KeyTenant(this ClaimsPrincipal user) => user.FindFirstValue(ApiKeyAuthenticationHandler.TenantClaim);

    /// <summary>
    /// The tenant a request acts for, whose quotas and log it belongs to: a tenant key's own tenant, whatever the route
    /// names (so a key cannot spend another tenant's quota), or the route's tenant for an admin.
    /// </summary>
    public static string? ActingTenant(this HttpContext context) =>
        context.User.IsAdmin() ? context.GetRouteValue("tenant") as string : context.User.KeyTenant();

    /// <summary>Allows the route's tenant to its own keys and to admins; <paramref name="adminOnly"/> needs a tenant-admin or admin key.</summary>
    public static RouteHandlerBuilder RequireTenantAccess(this RouteHandlerBuilder route, bool adminOnly = false) =>
        route.RequireAuthorization().AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var tenant = http.GetRouteValue("tenant") as string;
            var user = http.User;
            var allowed = user.IsAdmin()
                || (tenant is not null && user.KeyTenant() == tenant && (!adminOnly || user.IsInRole(nameof(ApiKeyRole.TenantAdmin))));
            if (!allowed)
            {
                return ApiProblems.Result(StatusCodes.Status403Forbidden, "forbidden", "Forbidden",
                    adminOnly ? $"Changing tenant '{tenant}' needs its tenant-admin key or an admin key." : $"This API key may not act for tenant '{tenant}'.");
            }

            return await next(context);
        });

    public static RouteHandlerBuilder RequireAdmin(this RouteHandlerBuilder route) =>
        route.RequireAuthorization(policy => policy.RequireRole(nameof(ApiKeyRole.Admin)));

    /// <summary>The tenant of a route without one (the tutorial's <c>POST /compare</c>): the key's own tenant.</summary>
    public static string TenantFromKey(ClaimsPrincipal user) =>
        user.KeyTenant() ?? throw new ApiProblemException(StatusCodes.Status400BadRequest, "tenant-required", "Tenant required",
            "An admin key belongs to no tenant: call /v1/{tenant}/compare instead.");
}
