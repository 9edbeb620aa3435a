// What the client uses of each backend's official client, as types only: the modules
// @microsoft/signalr and @azure/web-pubsub-client fit them (the repository's type check holds
// the real ones to them), and an app that installed one of the two needs no types of the other.

/**
 * A SignalR hub connection, as @microsoft/signalr's HubConnection.
 * @typedef {{
 *   readonly connectionId: string | null,
 *   start(): Promise<void>,
 *   stop(): Promise<void>,
 *   send(methodName: string, ...args: any[]): Promise<void>,
 *   on(methodName: string, handler: (...args: any[]) => any): void,
 *   onclose(callback: (error?: Error) => void): void,
 *   onreconnecting(callback: (error?: Error) => void): void,
 *   onreconnected(callback: (connectionId?: string) => void): void,
 * }} HubConnectionLike
 */

/**
 * @typedef {{
 *   withUrl(url: string, options: {headers: Record<string, string>}): HubConnectionBuilderLike,
 *   withAutomaticReconnect(policy: {
 *     nextRetryDelayInMilliseconds(context: {previousRetryCount: number, elapsedMilliseconds: number}): number | null,
 *   }): HubConnectionBuilderLike,
 *   configureLogging(logLevel: number): HubConnectionBuilderLike,
 *   build(): HubConnectionLike,
 * }} HubConnectionBuilderLike
 */

/**
 * The @microsoft/signalr module (or the browser build's window.signalR).
 * @typedef {{
 *   HubConnectionBuilder: new () => HubConnectionBuilderLike,
 *   LogLevel: {Warning: number},
 * }} SignalRModule
 */

/**
 * A Web PubSub client, as @azure/web-pubsub-client's WebPubSubClient. Its events: connected
 * `{connectionId}`, group-message and server-message `{message: {data}}`, disconnected, stopped.
 * @typedef {{
 *   start(): Promise<void>,
 *   stop(): void,
 *   on(event: string, listener: (args: any) => void): void,
 *   sendEvent(eventName: string, content: any, dataType: 'json', options: {fireAndForget: boolean}): Promise<unknown>,
 * }} WebPubSubClientLike
 */

/**
 * The @azure/web-pubsub-client module.
 * @typedef {{
 *   WebPubSubClient: new (
 *     credential: {getClientAccessUrl: () => Promise<string>},
 *     options: {protocol: any, autoReconnect: boolean, autoRejoinGroups: boolean},
 *   ) => WebPubSubClientLike,
 *   WebPubSubJsonProtocol(): any,
 * }} WebPubSubModule
 */

export {};
