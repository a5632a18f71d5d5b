using System.Text.Json;
using System.Text.Json.Serialization;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Admin;
using Tunnel.Messages.Queue;

namespace Tunnel.Messages.Serialization;

/// <summary>
/// Source-generated JSON contracts for every <see cref="ITunnelMessage"/>: camelCase names and
/// enums as strings, so that the on-disk form reads well in a database shell and survives
/// reordering of enum members. Adding a property is compatible; renaming one is not.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(MailboxJsonConverter), typeof(MessageIdJsonConverter)])]
[JsonSerializable(typeof(NewMail))]
[JsonSerializable(typeof(RetryRequested))]
[JsonSerializable(typeof(MessageDropped))]
[JsonSerializable(typeof(NoticesSent))]
[JsonSerializable(typeof(MessageEnqueued))]
[JsonSerializable(typeof(DeliveryAttempted))]
[JsonSerializable(typeof(MessageCancelled))]
[JsonSerializable(typeof(DelayNotified))]
[JsonSerializable(typeof(MessageRemoved))]
[JsonSerializable(typeof(DomainQueueSnapshot))]
[JsonSerializable(typeof(MessageDeleted))]
[JsonSerializable(typeof(InspectQueue))]
[JsonSerializable(typeof(QueueInspected))]
[JsonSerializable(typeof(RetryNow))]
[JsonSerializable(typeof(RetryScheduled))]
[JsonSerializable(typeof(DeleteMessage))]
[JsonSerializable(typeof(DeleteAccepted))]
[JsonSerializable(typeof(AdoptDestinationState))]
internal sealed partial class TunnelJsonContext : JsonSerializerContext;

/// <summary>A mailbox is written as its address text ("local@domain").</summary>
internal sealed class MailboxJsonConverter : JsonConverter<Mailbox>
{
    public override Mailbox Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Mailbox.Parse(reader.GetString() ?? throw new JsonException("mailbox is null"));

    public override void Write(Utf8JsonWriter writer, Mailbox value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}

/// <summary>A message id is written as its text.</summary>
internal sealed class MessageIdJsonConverter : JsonConverter<MessageId>
{
    public override MessageId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        new(reader.GetString() ?? throw new JsonException("message id is null"));

    public override void Write(Utf8JsonWriter writer, MessageId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Value);
}
