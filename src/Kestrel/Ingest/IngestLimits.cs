namespace Kestrel.Ingest;

/// <summary>Size and count limits on what an event may hold. Over a hard limit: 413; over a soft one: truncated.</summary>
public static class IngestLimits
{
    public const int MaxBodyBytes = 20 * 1024 * 1024;          // per request, compressed and decompressed
    public const long MaxBodyBytesInFlight = 160L * 1024 * 1024; // all requests' body buffers together; beyond: 503
    public const int MaxEventBytes = 1024 * 1024;              // per event, decompressed JSON
    public const int MaxEventsPerRequest = 100;
    public const int MaxJsonDepth = 64;

    public const int MaxFrames = 250;                          // per stack trace; the middle is dropped
    public const int KeptOuterFrames = 50;                     // frames kept from the caller end when trimming
    public const int MaxExceptions = 25;                       // chained exceptions; the newest are kept
    public const int MaxTags = 100;
    public const int MaxTagLength = 200;                       // characters, keys and values
    public const int MaxBreadcrumbs = 100;                     // the newest are kept
    public const int MaxMessageLength = 8192;                  // characters
    public const int MaxStringLength = 16 * 1024;              // characters, any other string
    public const int MaxArrayItems = 1000;                     // any other array
    public const int MaxFingerprintParts = 20;
}
