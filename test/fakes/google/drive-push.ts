// Fake Drive push: changes.watch and channels.stop, and the notifications Drive POSTs to a
// channel's address (empty body, X-Goog-* headers): `sync` when a channel opens, `change` after each
// change while it is live. Tests can also send duplicates and notifications for expired or stopped
// channels (Google's delivery is at-least-once and its clock is not the receiver's).
import crypto from 'node:crypto';
import type { FakeDrive } from './drive.js';
import { googleError, type FakeHttpServer, type FakeRequest, type FakeResponse } from './http.js';

/** Drive's limits for changes channels: one hour when no expiration is asked, one week at most. */
const DEFAULT_TTL_MS = 3600_000;
const MAX_TTL_MS = 7 * 24 * 3600_000;

export interface FakeChannel {
  id: string;
  resourceId: string;
  address: string;
  token?: string;
  expiration: number;
  pageToken: string;
  state: 'live' | 'stopped';
  /** When changes.watch created it (epoch ms). */
  openedAt: number;
  /** Last X-Goog-Message-Number sent on this channel. */
  messageNumber: number;
}

export interface DriveDelivery {
  channelId: string;
  state: string;
  messageNumber: number;
  /** The receiver's answer (0: no answer). */
  status: number;
}

export class FakeDrivePush {
  readonly channels = new Map<string, FakeChannel>();
  readonly deliveries: DriveDelivery[] = [];
  /** Channel ids in the order channels.stop named them. */
  readonly stopped: string[] = [];
  private readonly sending = new Set<Promise<void>>();

  constructor(private readonly drive: FakeDrive) {
    drive.changeListeners.push(() => {
      for (const c of this.channels.values()) if (this.isLive(c)) void this.send(c, 'change');
    });
  }

  register(server: FakeHttpServer): void {
    server.route('drive.changes.watch', 'POST', '/drive/v3/changes/watch', (req) => this.watch(req));
    server.route('drive.channels.stop', 'POST', '/drive/v3/channels/stop', (req) => this.stop(req));
  }

  /** The channels live now (not stopped, not expired). */
  live(): FakeChannel[] {
    return [...this.channels.values()].filter((c) => this.isLive(c));
  }

  /** Sends a notification on a channel whatever its state (expired and stopped ones too). */
  notify(channelId: string, state = 'change'): Promise<DriveDelivery> {
    const channel = this.channels.get(channelId);
    if (!channel) throw new Error(`fake drive push: no channel ${channelId}`);
    return this.send(channel, state);
  }

  /** Sends the last notification of a channel again, same message number (a duplicate delivery). */
  resend(channelId: string, state = 'change'): Promise<DriveDelivery> {
    const channel = this.channels.get(channelId);
    if (!channel) throw new Error(`fake drive push: no channel ${channelId}`);
    return this.post(channel, state, channel.messageNumber);
  }

  /** Every notification sent so far has had its answer. */
  async idle(): Promise<void> {
    while (this.sending.size > 0) await Promise.all([...this.sending]);
  }

  private isLive(c: FakeChannel): boolean {
    return c.state === 'live' && c.expiration > Date.now();
  }

  private watch(req: FakeRequest): FakeResponse {
    const pageToken = req.query.get('pageToken');
    if (!pageToken)
      return googleError(400, 'required', 'Required parameter: pageToken', { location: 'pageToken', locationType: 'parameter' });
    let body: { id?: string; type?: string; address?: string; token?: string; expiration?: string | number };
    try {
      body = JSON.parse(req.body || '{}') as typeof body;
    } catch {
      return googleError(400, 'parseError', 'Parse Error');
    }
    if (!body.id || !/^[A-Za-z0-9\-_+/=]{1,64}$/.test(body.id)) return googleError(400, 'invalid', 'Invalid channel id');
    if (body.type !== 'web_hook' && body.type !== 'webhook') return googleError(400, 'invalid', 'Invalid value for type');
    if (!body.address) return googleError(400, 'required', 'Required: address');
    if ([...this.channels.values()].some((c) => c.id === body.id)) return googleError(400, 'channelIdNotUnique', 'Channel id not unique');
    const asked = body.expiration !== undefined ? Number(body.expiration) : Date.now() + DEFAULT_TTL_MS;
    const expiration = Math.min(asked, Date.now() + MAX_TTL_MS);
    const channel: FakeChannel = {
      id: body.id,
      resourceId: crypto.randomBytes(12).toString('base64url'),
      address: body.address,
      token: body.token,
      expiration,
      pageToken,
      state: 'live',
      openedAt: Date.now(),
      messageNumber: 0,
    };
    this.channels.set(channel.id, channel);
    // Drive confirms a new channel with a `sync` message right after answering the watch.
    setImmediate(() => void this.send(channel, 'sync'));
    return {
      status: 200,
      body: {
        kind: 'api#channel',
        id: channel.id,
        resourceId: channel.resourceId,
        resourceUri: this.resourceUri(channel),
        ...(channel.token !== undefined ? { token: channel.token } : {}),
        expiration: String(expiration),
      },
    };
  }

  private stop(req: FakeRequest): FakeResponse {
    let body: { id?: string; resourceId?: string };
    try {
      body = JSON.parse(req.body || '{}') as typeof body;
    } catch {
      return googleError(400, 'parseError', 'Parse Error');
    }
    const channel = body.id ? this.channels.get(body.id) : undefined;
    if (!channel || channel.resourceId !== body.resourceId || !this.isLive(channel)) {
      return googleError(404, 'notFound', `Channel '${body.id ?? ''}' not found for project`);
    }
    channel.state = 'stopped';
    this.stopped.push(channel.id);
    return { status: 204 };
  }

  private resourceUri(c: FakeChannel): string {
    return `https://www.googleapis.com/drive/v3/changes?alt=json&pageToken=${c.pageToken}`;
  }

  private send(channel: FakeChannel, state: string): Promise<DriveDelivery> {
    channel.messageNumber += 1;
    return this.post(channel, state, channel.messageNumber);
  }

  private post(channel: FakeChannel, state: string, messageNumber: number): Promise<DriveDelivery> {
    const delivery: DriveDelivery = { channelId: channel.id, state, messageNumber, status: 0 };
    const headers: Record<string, string> = {
      'x-goog-channel-id': channel.id,
      'x-goog-channel-expiration': new Date(channel.expiration).toUTCString(),
      'x-goog-resource-id': channel.resourceId,
      'x-goog-resource-uri': this.resourceUri(channel),
      'x-goog-resource-state': state,
      'x-goog-message-number': String(messageNumber),
    };
    if (channel.token !== undefined) headers['x-goog-channel-token'] = channel.token;
    const done = fetch(channel.address, { method: 'POST', headers, body: '' })
      .then(async (res) => {
        delivery.status = res.status;
        await res.arrayBuffer();
      })
      .catch(() => {})
      .then(() => {
        this.deliveries.push(delivery);
        return delivery;
      });
    const tracked = done.then(() => undefined);
    this.sending.add(tracked);
    void tracked.finally(() => this.sending.delete(tracked));
    return done;
  }
}
