using Microsoft.Extensions.FileProviders;

namespace SnnServe.Api;

/// <summary>
/// The interactive page (wwwroot: index.html, app.js, style.css and digits.json, real test digits):
/// served from the build output folder, so it works from `dotnet run`, the published app and tests.
/// </summary>
public static class DemoPageExtensions
{
    public static WebApplication MapDemoPage(this WebApplication app)
    {
        string root = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (!Directory.Exists(root))
        {
            return app;
        }

        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        return app;
    }
}
