// Drives the callgate ACS emulator with the official Call Automation SDK
// (@azure/communication-call-automation 1.6.0) over real HTTP: every call-control
// and media operation, media options at call set-up, media streaming and
// transcription (every WebSocket message parsed with the SDK's StreamingData.parse,
// audio sent back with its createOutbound* builders) and recording (its content
// downloaded and deleted with the SDK's own signing). Every event the emulator
// posts is parsed with the SDK's parseCallAutomationEvent. When the SDK and the
// emulator disagree, the emulator is wrong.
//
// Run by emulator/sdk_test.go; by hand:
//   CALLGATE_EMULATOR_CONNECTION_STRING='endpoint=http://127.0.0.1:8090/;accesskey=...' \
//   CALLGATE_EMULATOR_URL=http://127.0.0.1:8090 node --test sdk.test.js
// The emulator should run with a short answer delay (--answer-delay 20ms).
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const http = require("node:http");
const crypto = require("node:crypto");
const {
  CallAutomationClient,
  parseCallAutomationEvent,
  StreamingData,
  createOutboundAudioData,
  createOutboundStopAudioData,
} = require("@azure/communication-call-automation");
const { createDefaultHttpClient } = require("@azure/core-rest-pipeline");
const { WebSocketServer } = require("ws");

const connectionString = process.env.CALLGATE_EMULATOR_CONNECTION_STRING;
const emulatorURL = (process.env.CALLGATE_EMULATOR_URL || "").replace(/\/$/, "");
if (!connectionString || !emulatorURL) {
  throw new Error("set CALLGATE_EMULATOR_CONNECTION_STRING and CALLGATE_EMULATOR_URL");
}
const WAIT_MS = 10000;
const API_VERSION = "2026-03-12";

let client;
let receiverURL;
let server;
let info;
let keys;

// Every callback, by call connection ID, in arrival order.
const byCall = new Map();
const incomingCalls = [];
const recordingFiles = [];
const problems = [];
const waiters = new Set();

function notify() {
  for (const w of [...waiters]) w();
}

// waitFor resolves once check() returns a truthy value.
function waitFor(what, check) {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      let v;
      try {
        v = check();
      } catch (err) {
        waiters.delete(attempt);
        clearTimeout(timer);
        reject(err);
        return;
      }
      if (v) {
        waiters.delete(attempt);
        clearTimeout(timer);
        resolve(v);
      }
    };
    const timer = setTimeout(() => {
      waiters.delete(attempt);
      reject(new Error(`timed out waiting for ${what}`));
    }, WAIT_MS);
    waiters.add(attempt);
    attempt();
  });
}

function eventsOf(callConnectionId) {
  return byCall.get(callConnectionId) || [];
}

// waitKinds waits for the call's first kinds.length events and checks their kinds.
async function waitKinds(callConnectionId, ...kinds) {
  const evs = await waitFor(`${kinds.join(",")} on ${callConnectionId}`, () => {
    const evs = eventsOf(callConnectionId);
    return evs.length >= kinds.length ? evs : null;
  });
  assert.deepEqual(
    evs.slice(0, kinds.length).map((e) => e.kind),
    kinds,
    `events of ${callConnectionId}: ${evs.map((e) => e.kind)}`,
  );
  return evs;
}

async function waitKind(callConnectionId, kind, pred = () => true) {
  return waitFor(`${kind} on ${callConnectionId}`, () =>
    eventsOf(callConnectionId).find((e) => e.kind === kind && pred(e)),
  );
}

// verifyToken checks the callback bearer token: RS256 with a key of
// /calling/keys, iss and aud of the emulator, five minutes of validity.
function verifyToken(header) {
  const m = /^Bearer (.+)$/.exec(header || "");
  if (!m) throw new Error("no bearer token");
  const [h, p, s] = m[1].split(".");
  const head = JSON.parse(Buffer.from(h, "base64url"));
  const claims = JSON.parse(Buffer.from(p, "base64url"));
  if (head.alg !== "RS256") throw new Error(`alg ${head.alg}`);
  const jwk = keys.find((k) => k.kid === head.kid);
  if (!jwk) throw new Error(`unknown kid ${head.kid}`);
  const ok = crypto.verify(
    "RSA-SHA256",
    Buffer.from(`${h}.${p}`),
    crypto.createPublicKey({ key: jwk, format: "jwk" }),
    Buffer.from(s, "base64url"),
  );
  if (!ok) throw new Error("bad signature");
  if (claims.iss !== info.issuer) throw new Error(`iss ${claims.iss}`);
  if (claims.aud !== info.audience) throw new Error(`aud ${claims.aud}`);
  if (claims.exp - claims.iat !== 300) throw new Error(`lifetime ${claims.exp - claims.iat}`);
  if (claims.exp * 1000 < Date.now()) throw new Error("expired");
}

// checkEvent holds every parsed event to the shape of the live samples.
function checkEvent(raw, ev) {
  let want = `calling/callConnections/${ev.callConnectionId}`;
  if (ev.kind === "RecordingStateChanged") {
    // A recording's events come from the recording, as the live sample's do.
    want = `calling/recordings/${ev.serverCallId}/${ev.recordingId}/RecordingStateChanged`;
    assert.equal(raw.data.eventSource, want, "eventSource");
  }
  assert.equal(raw.source, want, "source");
  assert.equal(raw.subject, want, "subject");
  assert.equal(raw.specversion, "1.0");
  assert.equal(raw.datacontenttype, "application/json");
  assert.match(raw.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?\+00:00$/);
  assert.equal(raw.type, `Microsoft.Communication.${ev.kind}`);
  assert.equal(raw.data.publicEventType, raw.type);
  assert.equal(raw.data.version, API_VERSION);
  assert.ok(ev.serverCallId, "serverCallId");
  assert.match(Buffer.from(ev.serverCallId, "base64").toString(), /^https:\/\//);
  assert.match(ev.correlationId, /^[0-9a-f-]{36}$/);
  if (ev.kind === "ParticipantsUpdated") {
    assert.equal(typeof ev.sequenceNumber, "number");
    assert.ok(Array.isArray(ev.participants));
    assert.ok(!("operationContext" in raw.data), "ParticipantsUpdated has no operationContext");
  } else {
    assert.ok(ev.resultInformation, `${ev.kind} has resultInformation`);
    assert.equal(typeof ev.resultInformation.code, "number");
    assert.equal(typeof ev.resultInformation.subCode, "number");
  }
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

async function handle(req, res) {
  const body = await readBody(req);
  if (req.url.startsWith("/eventgrid")) {
    const [ev] = JSON.parse(body);
    if (ev.eventType === "Microsoft.EventGrid.SubscriptionValidationEvent") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ validationResponse: ev.data.validationCode }));
      return;
    }
    if (ev.eventType === "Microsoft.Communication.IncomingCall") {
      incomingCalls.push(ev);
      notify();
      res.writeHead(200).end();
      return;
    }
    if (ev.eventType === "Microsoft.Communication.RecordingFileStatusUpdated") {
      recordingFiles.push(ev);
      notify();
      res.writeHead(200).end();
      return;
    }
    problems.push(`unexpected Event Grid event ${ev.eventType}`);
    res.writeHead(400).end();
    return;
  }
  try {
    verifyToken(req.headers.authorization);
  } catch (err) {
    problems.push(`callback token: ${err.message}`);
    res.writeHead(401).end();
    return;
  }
  try {
    const raw = JSON.parse(body)[0];
    const ev = parseCallAutomationEvent(body);
    checkEvent(raw, ev);
    const list = byCall.get(ev.callConnectionId) || [];
    list.push(Object.assign(ev, { path: req.url, raw }));
    byCall.set(ev.callConnectionId, list);
  } catch (err) {
    problems.push(`callback ${body}: ${err.message}`);
  }
  notify();
  res.writeHead(200).end();
}

async function control(method, path, body) {
  const resp = await fetch(emulatorURL + path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await resp.text();
  return { status: resp.status, body: text ? JSON.parse(text) : null };
}

async function script(rawId, behavior) {
  const r = await control("PUT", `/emulator/v1/endpoints/${encodeURIComponent(rawId)}`, behavior);
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

// incomingCall simulates a call to `to` and returns its IncomingCall event
// as the Event Grid webhook received it.
async function incomingCall(from, to) {
  const r = await control("POST", "/emulator/v1/incomingCalls", {
    from,
    to,
    callerDisplayName: "SDK test",
    customContext: { voipHeaders: { customHeader: "customValue" } },
    webhook: `${receiverURL}/eventgrid`,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.delivered, true, JSON.stringify(r.body));
  const ev = await waitFor("IncomingCall", () =>
    incomingCalls.find((e) => e.data.incomingCallContext === r.body.incomingCallContext),
  );
  assert.equal(ev.data.to.rawId, to);
  assert.equal(ev.data.customContext.voipHeaders.customHeader, "customValue");
  return { id: r.body.id, context: ev.data.incomingCallContext, data: ev.data };
}

async function expectRestError(promise, status, code) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.statusCode, status, `${err.message}`);
    if (code) assert.equal(err.code, code, `${err.message}`);
    return true;
  });
}

// TEST_RESOURCE is the resource of the ACS users the tests call: the service
// refuses ACS user IDs without one ("8:acs:<resource>_<id>").
const TEST_RESOURCE = "4f5b6c7d-0000-4000-8000-00000000c0de";
const user = (name) => `8:acs:${TEST_RESOURCE}_${name}`;
const cb = () => `${receiverURL}/cb`;
const acs = (id) => ({ communicationUserId: id });
const pstn = (n) => ({ phoneNumber: n });
const callerId = pstn("+18001234567");

async function connectedCall(target) {
  const res = await client.createCall({ targetParticipant: acs(target) }, cb());
  const id = res.callConnectionProperties.callConnectionId;
  await waitKinds(id, "CallConnected", "ParticipantsUpdated");
  return { id, conn: res.callConnection, props: res.callConnectionProperties };
}

before(async () => {
  server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      problems.push(err.message);
      res.writeHead(500).end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiverURL = `http://127.0.0.1:${server.address().port}`;
  info = (await control("GET", "/emulator/v1/info")).body;
  keys = (await control("GET", "/calling/keys")).body.keys;
  client = new CallAutomationClient(connectionString, { allowInsecureConnection: true });
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  assert.deepEqual(problems, [], "every callback parsed and verified");
});

test("create a 1:1 call to an ACS user, read it, mute, hang up", async () => {
  const target = user("sdk-user-1");
  const res = await client.createCall({ targetParticipant: acs(target) }, cb(), {
    operationContext: "create-ctx",
  });
  const props = res.callConnectionProperties;
  assert.equal(props.callConnectionState, "connecting");
  assert.equal(props.sourceDisplayName, "", "a created call has a display name, empty when none was given");
  assert.equal(props.targetParticipants[0].communicationUserId, target);
  assert.equal(props.source.communicationUserId, info.applicationId);
  assert.equal(props.callbackUrl ?? props.callbackUri, cb());
  const id = props.callConnectionId;
  const [connected, updated] = await waitKinds(id, "CallConnected", "ParticipantsUpdated");
  assert.equal(connected.operationContext, "create-ctx");
  assert.equal(connected.resultInformation.code, 200);
  assert.equal(updated.sequenceNumber, 1);
  assert.deepEqual(
    updated.participants.map((p) => p.identifier.communicationUserId),
    [info.applicationId, target],
  );

  const conn = res.callConnection;
  const got = await conn.getCallConnectionProperties();
  assert.equal(got.callConnectionState, "connected");
  assert.equal(got.callConnectionId, id);
  const list = await conn.listParticipants();
  assert.equal(list.values.length, 2);
  const p = await conn.getParticipant(acs(target));
  assert.equal(p.identifier.communicationUserId, target);
  assert.equal(p.isMuted, false);

  const mute = await conn.muteParticipant(acs(target), { operationContext: "mute-ctx" });
  assert.equal(mute.operationContext, "mute-ctx");
  const muted = await waitKind(id, "ParticipantsUpdated", (e) => e.sequenceNumber === 2);
  assert.equal(muted.participants.find((x) => x.identifier.communicationUserId === target).isMuted, true);
  await expectRestError(conn.muteParticipant(pstn("+16041234567")), 400, "8523");

  await conn.hangUp(false);
  const disc = await waitKind(id, "CallDisconnected");
  assert.equal(disc.resultInformation.code, 200);
  assert.equal(disc.resultInformation.subCode, 7000);
  await expectRestError(conn.getCallConnectionProperties(), 404, "8522");
});

test("create a PSTN call with a caller ID", async () => {
  await expectRestError(client.createCall({ targetParticipant: pstn("+16471234567") }, cb()), 400, "8523");
  const res = await client.createCall(
    { targetParticipant: pstn("+16471234567"), sourceCallIdNumber: callerId, sourceDisplayName: "Contoso" },
    cb(),
  );
  const props = res.callConnectionProperties;
  assert.equal(props.sourceCallerIdNumber.phoneNumber, "+18001234567");
  assert.equal(props.targetParticipants[0].phoneNumber, "+16471234567");
  const [, updated] = await waitKinds(props.callConnectionId, "CallConnected", "ParticipantsUpdated");
  assert.equal(updated.participants[1].identifier.phoneNumber, "+16471234567");
  await res.callConnection.hangUp(true);
  await waitKind(props.callConnectionId, "CallDisconnected");
});

test("group call, then connect to it by server call, group call and room", async () => {
  const res = await client.createGroupCall([acs(user("sdk-g1")), pstn("+16045550001")], cb(), {
    sourceCallIdNumber: callerId,
    operationContext: "group",
  });
  const id = res.callConnectionProperties.callConnectionId;
  // Both targets answer at the same instant: one roster update names both.
  const evs = await waitKinds(id, "CallConnected", "ParticipantsUpdated");
  assert.equal(evs[1].participants.length, 3);

  const joined = await client.connectCall(
    { kind: "serverCallLocator", id: res.callConnectionProperties.serverCallId },
    cb(),
    { operationContext: "connect-server" },
  );
  const jid = joined.callConnectionProperties.callConnectionId;
  assert.equal(joined.callConnectionProperties.serverCallId, res.callConnectionProperties.serverCallId);
  const [c] = await waitKinds(jid, "CallConnected", "ParticipantsUpdated");
  assert.equal(c.operationContext, "connect-server");

  for (const loc of [
    { kind: "groupCallLocator", id: "11111111-2222-3333-4444-555555555555" },
    { kind: "roomCallLocator", id: "99411735203453342" },
  ]) {
    const r = await client.connectCall(loc, cb());
    assert.equal(r.callConnectionProperties.callConnectionState, "connecting");
    await waitKinds(r.callConnectionProperties.callConnectionId, "CallConnected", "ParticipantsUpdated");
    await r.callConnection.hangUp(false);
  }
  const missing = await client.connectCall({ kind: "serverCallLocator", id: "aHR0cHM6Ly9zZXJ2ZXItY2FsbC1pZA" }, cb());
  const [failed] = await waitKinds(missing.callConnectionProperties.callConnectionId, "ConnectFailed");
  assert.equal(failed.resultInformation.code, 404);

  await res.callConnection.hangUp(true);
  await waitKind(id, "CallDisconnected");
  await waitKind(jid, "CallDisconnected");
});

test("answer an incoming call", async () => {
  const inc = await incomingCall("4:+14255550100", user("sdk-me"));
  const res = await client.answerCall(inc.context, cb(), { operationContext: "answer-ctx" });
  const props = res.callConnectionProperties;
  assert.equal(props.serverCallId, inc.data.serverCallId);
  assert.equal(props.source.phoneNumber, "+14255550100");
  const [connected, updated] = await waitKinds(props.callConnectionId, "CallConnected", "ParticipantsUpdated");
  assert.equal(connected.operationContext, "answer-ctx");
  assert.equal(connected.correlationId, inc.data.correlationId);
  assert.deepEqual(
    updated.participants.map((p) => p.identifier.rawId ?? p.identifier.communicationUserId),
    ["4:+14255550100", user("sdk-me")],
  );
  // A remote hang-up ends a 1:1 call.
  const r = await control("POST", `/emulator/v1/calls/${props.callConnectionId}/participants/${encodeURIComponent("4:+14255550100")}/hangUp`);
  assert.equal(r.status, 204);
  const disc = await waitKind(props.callConnectionId, "CallDisconnected");
  assert.equal(disc.resultInformation.code, 200);
  assert.equal(disc.resultInformation.subCode, 5002, "every other participant left");
  await expectRestError(client.answerCall(inc.context, cb()), 409);
});

test("reject with none, busy and forbidden; redirect", async () => {
  for (const reason of [undefined, "none", "busy", "forbidden"]) {
    const inc = await incomingCall(user("sdk-caller"), user("sdk-me"));
    await client.rejectCall(inc.context, reason ? { callRejectReason: reason } : {});
    const r = await control("GET", `/emulator/v1/incomingCalls/${inc.id}`);
    assert.equal(r.body.state, "rejected");
  }
  const inc = await incomingCall(user("sdk-caller"), user("sdk-me"));
  await client.redirectCall(inc.context, { targetParticipant: pstn("+16041234567") });
  assert.equal((await control("GET", `/emulator/v1/incomingCalls/${inc.id}`)).body.state, "redirected");
  // A redirect to an identity of the resource raises a new IncomingCall.
  const own = `8:acs:${info.resourceId}_sdk-agent`;
  const inc2 = await incomingCall(user("sdk-caller"), user("sdk-me"));
  await client.redirectCall(inc2.context, { targetParticipant: acs(own) });
  const redirected = await waitFor("redirected IncomingCall", () =>
    incomingCalls.find((e) => e.data.to.rawId === own && e.data.serverCallId === inc2.data.serverCallId),
  );
  const res = await client.answerCall(redirected.data.incomingCallContext, cb());
  await waitKinds(res.callConnectionProperties.callConnectionId, "CallConnected", "ParticipantsUpdated");
  await res.callConnection.hangUp(true);
  await expectRestError(client.rejectCall("not-a-context"), 400, "8523");
});

test("add ACS and PSTN participants, remove one, cancel an add, move one", async () => {
  const { id, conn } = await connectedCall(user("sdk-host"));
  const added = await conn.addParticipant(
    { targetParticipant: acs(user("sdk-added")), customCallingContext: [{ kind: "voip", key: "k", value: "v" }] },
    { operationContext: "add-ctx", invitationTimeoutInSeconds: 30, operationCallbackUrl: `${receiverURL}/op` },
  );
  assert.ok(added.invitationId);
  assert.equal(added.operationContext, "add-ctx");
  assert.equal(added.participant.identifier.communicationUserId, user("sdk-added"));
  const ok = await waitKind(id, "AddParticipantSucceeded");
  assert.equal(ok.participant.communicationUserId, user("sdk-added"));
  assert.equal(ok.operationContext, "add-ctx");
  assert.equal(ok.path, "/op");
  await waitKind(id, "ParticipantsUpdated", (e) => e.participants.length === 3);

  await conn.addParticipant({ targetParticipant: pstn("+16041234567"), sourceCallIdNumber: callerId, sourceDisplayName: "Contoso" });
  const pstnOK = await waitKind(id, "AddParticipantSucceeded", (e) => e.participant.phoneNumber === "+16041234567");
  assert.equal(pstnOK.resultInformation.code, 200);

  const removed = await conn.removeParticipant(acs(user("sdk-added")), { operationContext: "remove-ctx" });
  assert.equal(removed.operationContext, "remove-ctx");
  const rm = await waitKind(id, "RemoveParticipantSucceeded");
  assert.equal(rm.participant.communicationUserId, user("sdk-added"));
  await waitKind(id, "ParticipantsUpdated", (e) =>
    e.participants.length === 3 && !e.participants.some((p) => p.identifier.communicationUserId === user("sdk-added")),
  );

  await script(user("sdk-ringing"), { answer: "noAnswer" });
  const pending = await conn.addParticipant({ targetParticipant: acs(user("sdk-ringing")) });
  const cancel = await conn.cancelAddParticipantOperation(pending.invitationId, { operationContext: "cancel-ctx" });
  assert.equal(cancel.invitationId, pending.invitationId);
  const cancelled = await waitKind(id, "CancelAddParticipantSucceeded");
  assert.equal(cancelled.invitationId, pending.invitationId);
  assert.equal(cancelled.operationContext, "cancel-ctx");

  // Cancelling after the invitee answered fails.
  const quick = await conn.addParticipant({ targetParticipant: acs(user("sdk-quick")) });
  await waitKind(id, "AddParticipantSucceeded", (e) => e.participant.communicationUserId === user("sdk-quick"));
  await conn.cancelAddParticipantOperation(quick.invitationId);
  const late = await waitKind(id, "CancelAddParticipantFailed");
  assert.equal(late.invitationId, quick.invitationId);

  const other = await connectedCall(user("sdk-mover"));
  const moved = await conn.moveParticipants([acs(user("sdk-mover"))], other.id, { operationContext: "move" });
  assert.equal(moved.fromCall, other.id);
  const mv = await waitKind(id, "MoveParticipantSucceeded");
  assert.equal(mv.participant.communicationUserId, user("sdk-mover"));
  assert.equal(mv.fromCall, other.id);
  await waitKind(other.id, "CallDisconnected");

  await conn.hangUp(true);
  await waitKind(id, "CallDisconnected");
});

test("add participant fails: declined, busy, no answer within the invitation timeout", async () => {
  const { id, conn } = await connectedCall(user("sdk-host2"));
  const cases = [
    [user("sdk-decline"), "decline", 603, 8538],
    [user("sdk-busy"), "busy", 486, 8539],
    [user("sdk-noanswer"), "noAnswer", 487, 10004],
  ];
  for (const [who, answer, code, subCode] of cases) {
    await script(who, { answer });
    await conn.addParticipant({ targetParticipant: acs(who) }, { invitationTimeoutInSeconds: 1, operationContext: answer });
    const failed = await waitKind(id, "AddParticipantFailed", (e) => e.operationContext === answer);
    assert.equal(failed.participant.communicationUserId, who);
    assert.equal(failed.resultInformation.code, code);
    assert.equal(failed.resultInformation.subCode, subCode);
  }
  await conn.hangUp(false);
});

test("create call fails: CreateCallFailed then CallDisconnected", async () => {
  await script(user("sdk-refuser"), { answer: "decline" });
  const res = await client.createCall({ targetParticipant: acs(user("sdk-refuser")) }, cb(), { operationContext: "doomed" });
  const [failed, disc] = await waitKinds(res.callConnectionProperties.callConnectionId, "CreateCallFailed", "CallDisconnected");
  assert.equal(failed.operationContext, "doomed");
  assert.equal(failed.resultInformation.code, 603);
  assert.equal(disc.resultInformation.code, 603);
});

test("transfer: accepted, then refused", async () => {
  const a = await connectedCall(user("sdk-customer"));
  const t = await a.conn.transferCallToParticipant(acs(user("sdk-agent")), { operationContext: "xfer" });
  assert.equal(t.operationContext, "xfer");
  const [, , accepted] = await waitKinds(a.id, "CallConnected", "ParticipantsUpdated", "CallTransferAccepted", "CallDisconnected");
  assert.equal(accepted.resultInformation.subCode, 7015);
  assert.equal(accepted.transferTarget.rawId ?? accepted.transferTarget.communicationUser.id, user("sdk-agent"));

  await script(user("sdk-stubborn"), { transfer: "refuse" });
  const b = await connectedCall(user("sdk-customer2"));
  const t2 = await b.conn.transferCallToParticipant(acs(user("sdk-stubborn")));
  assert.ok(t2.operationContext, "the SDK fills operationContext");
  const failed = await waitKind(b.id, "CallTransferFailed");
  assert.equal(failed.operationContext, t2.operationContext);
  assert.equal((await b.conn.getCallConnectionProperties()).callConnectionState, "connected");
  await b.conn.hangUp(true);
  await waitKind(b.id, "CallDisconnected");
});

// waitOp waits for the call's event of kind with the operation context.
function waitOp(callConnectionId, kind, operationContext) {
  return waitKind(callConnectionId, kind, (e) => e.operationContext === operationContext);
}

const cognitive = { cognitiveServicesEndpoint: "https://ai.example.cognitiveservices.azure.com/" };
const file = (url) => ({ kind: "fileSource", url });
const text = (t) => ({ kind: "textSource", text: t, voiceName: "en-US-JennyNeural" });

test("media options at call set-up: create, answer, connect", async () => {
  const streaming = { transportType: "websocket", transportUrl: "wss://127.0.0.1/media", audioChannelType: "mixed", contentType: "audio", startMediaStreaming: false };
  const transcription = { transportType: "websocket", transportUrl: "wss://127.0.0.1/transcription", locale: "en-US", startTranscription: false, enableIntermediateResults: true };
  const res = await client.createCall({ targetParticipant: acs(user("sdk-streamed")) }, cb(), {
    callIntelligenceOptions: cognitive, mediaStreamingOptions: streaming, transcriptionOptions: transcription,
  });
  const props = res.callConnectionProperties;
  assert.equal(props.mediaStreamingSubscription.state, "inactive");
  assert.deepEqual(props.mediaStreamingSubscription.subscribedContentTypes, ["audio"]);
  // The SDK names subscribedResultTypes subscribedResultStates.
  assert.deepEqual(props.transcriptionSubscription.subscribedResultStates, ["final", "intermediate"]);
  await waitKinds(props.callConnectionId, "CallConnected", "ParticipantsUpdated");
  await res.callConnection.hangUp(true);

  const inc = await incomingCall("4:+14255550100", user("sdk-ivr"));
  const answered = await client.answerCall(inc.context, cb(), { callIntelligenceOptions: cognitive, transcriptionOptions: transcription });
  assert.equal(answered.callConnectionProperties.transcriptionSubscription.locale, "en-US");
  await waitKinds(answered.callConnectionProperties.callConnectionId, "CallConnected", "ParticipantsUpdated");
  await answered.callConnection.hangUp(true);

  const connected = await client.connectCall({ kind: "roomCallLocator", id: "99411735203453343" }, cb(), { mediaStreamingOptions: streaming });
  assert.equal(connected.callConnectionProperties.mediaStreamingSubscription.state, "inactive");
  await waitKinds(connected.callConnectionProperties.callConnectionId, "CallConnected", "ParticipantsUpdated");
  await connected.callConnection.hangUp(false);

  await expectRestError(
    client.createCall({ targetParticipant: acs(user("x")) }, cb(), {
      mediaStreamingOptions: { ...streaming, transportUrl: "https://127.0.0.1/media" },
    }),
    400,
    "8523",
  );
});

test("media: play, cancel, recognize, continuous DTMF, send tones, hold", async () => {
  const target = user("sdk-media");
  const res = await client.createCall({ targetParticipant: acs(target) }, cb(), { callIntelligenceOptions: cognitive });
  const id = res.callConnectionProperties.callConnectionId;
  await waitKinds(id, "CallConnected", "ParticipantsUpdated");
  const media = res.callConnection.getCallMedia();
  let r = await control("PUT", "/emulator/v1/files", { url: "https://media.example/short.wav", duration: "50ms" });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  r = await control("PUT", "/emulator/v1/files", { url: "https://media.example/long.wav", duration: "1m" });
  assert.equal(r.status, 200, JSON.stringify(r.body));

  // Play to everyone, to one participant, a file it cannot play, a loop until cancelled.
  await media.playToAll([file("https://media.example/short.wav")], { operationContext: "play-all" });
  await waitOp(id, "PlayStarted", "play-all");
  const done = await waitOp(id, "PlayCompleted", "play-all");
  assert.equal(done.resultInformation.code, 200);
  await media.play([text("Hello")], [acs(target)], { operationContext: "play-one" });
  await waitOp(id, "PlayCompleted", "play-one");
  await media.playToAll([file("https://media.example/short.wav"), file("https://media.example/notes.txt")], { operationContext: "bad" });
  const failed = await waitOp(id, "PlayFailed", "bad");
  assert.equal(failed.resultInformation.subCode, 8535);
  assert.equal(failed.failedPlaySourceIndex, 1);
  await media.playToAll([file("https://media.example/short.wav")], { loop: true, operationContext: "loop" });
  await waitOp(id, "PlayStarted", "loop");
  await media.cancelAllOperations();
  const canceled = await waitOp(id, "PlayCanceled", "loop");
  assert.equal(canceled.resultInformation.subCode, 8508);

  // Recognize: keys pressed through the control API, scripted speech and choice, silence,
  // cancel.
  const press = (tones) =>
    control("POST", `/emulator/v1/calls/${id}/participants/${encodeURIComponent(target)}/sendTones`, { tones });
  await media.startRecognizing(acs(target), {
    kind: "callMediaRecognizeDtmfOptions", maxTonesToCollect: 2, stopDtmfTones: ["pound"], operationContext: "dtmf",
  });
  assert.equal((await press("12")).status, 204);
  const dtmf = await waitOp(id, "RecognizeCompleted", "dtmf");
  assert.equal(dtmf.recognitionType, "dtmf");
  assert.deepEqual(dtmf.dtmfResult.tones, ["one", "two"]);
  assert.equal(dtmf.resultInformation.subCode, 8531);

  await script(target, { recognize: [{ speech: "I need help" }, { choice: "Cancel" }, { tones: "5#" }, { silence: true }] });
  await media.startRecognizing(acs(target), { kind: "callMediaRecognizeSpeechOptions", operationContext: "speech", playPrompt: text("How can I help?") });
  const speech = await waitOp(id, "RecognizeCompleted", "speech");
  assert.equal(speech.speechResult.speech, "I need help");
  await media.startRecognizing(acs(target), {
    kind: "callMediaRecognizeChoiceOptions", operationContext: "choice",
    choices: [{ label: "Confirm", phrases: ["Confirm", "Yes"], tone: "one" }, { label: "Cancel", phrases: ["Cancel", "No"], tone: "two" }],
  });
  const choice = await waitOp(id, "RecognizeCompleted", "choice");
  assert.equal(choice.choiceResult.label, "Cancel");
  await media.startRecognizing(acs(target), {
    kind: "callMediaRecognizeSpeechOrDtmfOptions", maxTonesToCollect: 3, stopDtmfTones: ["pound"], operationContext: "either",
  });
  const either = await waitOp(id, "RecognizeCompleted", "either");
  assert.deepEqual(either.dtmfResult.tones, ["five"]);
  assert.equal(either.resultInformation.subCode, 8514);
  await media.startRecognizing(acs(target), {
    kind: "callMediaRecognizeDtmfOptions", maxTonesToCollect: 1, initialSilenceTimeoutInSeconds: 1, operationContext: "silent",
  });
  const silent = await waitOp(id, "RecognizeFailed", "silent");
  assert.equal(silent.resultInformation.subCode, 8510);
  await media.startRecognizing(acs(target), {
    kind: "callMediaRecognizeDtmfOptions", maxTonesToCollect: 1, playPrompt: file("https://media.example/long.wav"), operationContext: "cut",
  });
  await waitOp(id, "PlayStarted", "cut");
  await media.cancelAllOperations();
  const cut = await waitOp(id, "RecognizeCanceled", "cut");
  assert.equal(cut.resultInformation.subCode, 8508);

  // Continuous DTMF: one event per key, sequence IDs from 1.
  await media.startContinuousDtmfRecognition(acs(target), { operationContext: "continuous" });
  await press("9*");
  const tones = await waitFor("two tones", () => {
    const evs = eventsOf(id).filter((e) => e.kind === "ContinuousDtmfRecognitionToneReceived");
    return evs.length === 2 ? evs : null;
  });
  assert.deepEqual(tones.map((e) => [e.sequenceId, e.tone]), [[1, "nine"], [2, "asterisk"]]);
  await media.stopContinuousDtmfRecognition(acs(target), { operationContext: "continuous-stop" });
  await waitOp(id, "ContinuousDtmfRecognitionStopped", "continuous-stop");

  // Send tones; hold with music, unhold, hold music it cannot play.
  const sent = await media.sendDtmfTones(["one", "pound"], acs(target), { operationContext: "send" });
  assert.equal(sent.operationContext, "send");
  await waitOp(id, "SendDtmfTonesCompleted", "send");
  const held = (seq) =>
    waitKind(id, "ParticipantsUpdated", (e) => e.sequenceNumber === seq).then(
      (e) => e.participants.find((p) => p.identifier.communicationUserId === target).isOnHold,
    );
  const seq = eventsOf(id).filter((e) => e.kind === "ParticipantsUpdated").length;
  await media.hold(acs(target), { playSource: file("https://media.example/short.wav"), operationContext: "hold" });
  assert.equal(await held(seq + 1), true);
  await media.unhold(acs(target), { operationContext: "unhold" });
  assert.equal(await held(seq + 2), false);
  await media.hold(acs(target), { playSource: file("https://media.example/music.ogg"), operationContext: "bad-hold" });
  const holdFailed = await waitOp(id, "HoldFailed", "bad-hold");
  assert.equal(holdFailed.resultInformation.subCode, 8535);

  await expectRestError(media.startRecognizing(acs(user("sdk-stranger")), { kind: "callMediaRecognizeDtmfOptions", maxTonesToCollect: 1 }), 404, "8522");
  await res.callConnection.hangUp(true);
  await waitKind(id, "CallDisconnected");
});

test("media without Cognitive Services: text-to-speech and speech are refused at request time", async () => {
  const { conn } = await connectedCall(user("sdk-plain"));
  const media = conn.getCallMedia();
  for (const request of [
    () => media.playToAll([text("Hello")]),
    () => media.startRecognizing(acs(user("sdk-plain")), { kind: "callMediaRecognizeSpeechOptions" }),
    () => media.hold(acs(user("sdk-plain")), { playSource: text("Please wait") }),
  ]) {
    await assert.rejects(request(), (err) => {
      assert.equal(err.statusCode, 400, err.message);
      assert.equal(err.code, "8522");
      assert.equal(err.message, "Request not allowed when Cognitive Service Configuration not set during call setup.");
      return true;
    });
  }
  await conn.hangUp(true);
});

test("errors: unknown call, bad input, wrong state", async () => {
  const ghost = client.getCallConnection("00000000-0000-0000-0000-000000000000");
  await expectRestError(ghost.getCallConnectionProperties(), 404, "8522");
  await expectRestError(ghost.hangUp(false), 404, "8522");
  await expectRestError(ghost.addParticipant({ targetParticipant: acs(user("x")) }), 404, "8522");
  await expectRestError(client.createCall({ targetParticipant: acs(user("x")) }, "http://app.example/cb"), 400, "8523");

  await script(user("sdk-never"), { answer: "noAnswer" });
  const res = await client.createCall({ targetParticipant: acs(user("sdk-never")) }, cb());
  await expectRestError(res.callConnection.addParticipant({ targetParticipant: acs(user("y")) }), 400, "8501");
  await res.callConnection.hangUp(false);
  await waitKind(res.callConnectionProperties.callConnectionId, "CallDisconnected");
});

test("refused requests: details name the field; a caller ID the resource does not own is 403", async () => {
  for (const [bad, target] of [
    [acs("8:acs:"), "targets[0].communicationUser.id"],
    [acs(user("x") + "\n"), "targets[0].communicationUser.id"],
    [acs("../../etc/passwd"), "targets[0].communicationUser.id"],
    [{ id: "x" }, "targets[0].rawId"],
  ]) {
    await assert.rejects(client.createCall({ targetParticipant: bad }, cb()), (err) => {
      assert.equal(err.statusCode, 400, `${JSON.stringify(bad)}: ${err.stack}`);
      assert.equal(err.code, "8523");
      const details = err.response.parsedBody?.error?.details;
      assert.ok(Array.isArray(details) && details.length > 0, `details in ${err.response.bodyAsText}`);
      assert.equal(details[0].target, target);
      assert.ok(details[0].message);
      return true;
    });
  }
  await assert.rejects(
    client.createCall({ targetParticipant: pstn("+16471234567"), sourceCallIdNumber: pstn("+15550001111") }, cb()),
    (err) => {
      assert.equal(err.statusCode, 403, err.message);
      assert.equal(err.code, "7504");
      assert.equal(err.response.parsedBody.error.details[0].target, "sourceCallerIdNumber.value");
      return true;
    },
  );
  await expectRestError(client.connectCall({ kind: "serverCallLocator", id: "garbage" }, cb()), 400, "8523");
});

test("a wrong access key is rejected with 401", async () => {
  const bad = connectionString.replace(/accesskey=.*$/, `accesskey=${Buffer.from("wrong-key").toString("base64")}`);
  const c = new CallAutomationClient(bad, { allowInsecureConnection: true });
  await expectRestError(c.createCall({ targetParticipant: acs(user("x")) }, cb()), 401);
});

// The application's WebSocket server, as ACS connects to it: every connection with its upgrade
// headers, and every message it receives parsed with the SDK's own StreamingData.parse, as text
// and as bytes.
async function streamingServer() {
  const conns = [];
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((resolve) => wss.once("listening", resolve));
  wss.on("connection", (socket, req) => {
    const c = { path: req.url, headers: req.headers, socket, parsed: [], closed: false };
    conns.push(c);
    socket.on("message", (data, isBinary) => {
      try {
        assert.equal(isBinary, false, "ACS sends text frames");
        const text = data.toString("utf8");
        const parsed = StreamingData.parse(text);
        const kind = StreamingData.getStreamingKind();
        const again = StreamingData.parse(new Uint8Array(data).buffer);
        assert.deepEqual(again, parsed, "parsed as bytes as as text");
        c.parsed.push({ kind, data: parsed, raw: JSON.parse(text) });
      } catch (err) {
        problems.push(`stream message ${data}: ${err.message}`);
      }
      notify();
    });
    socket.on("close", () => {
      c.closed = true;
      notify();
    });
    notify();
  });
  return {
    url: (path) => `ws://127.0.0.1:${wss.address().port}${path}`,
    conn: (path, n = 1) => waitFor(`connection ${n} to ${path}`, () => conns.filter((c) => c.path === path)[n - 1]),
    close: () => {
      for (const c of wss.clients) c.terminate();
      return new Promise((resolve) => wss.close(resolve));
    },
  };
}

function waitMessage(c, what, pred) {
  return waitFor(`${what} on ${c.path}`, () => c.parsed.find(pred));
}

test("media streaming and transcription over WebSockets, every message parsed by StreamingData.parse", async (tc) => {
  const ws = await streamingServer();
  tc.after(() => ws.close());
  const target = user("sdk-streaming");
  const res = await client.createCall({ targetParticipant: acs(target) }, cb(), {
    mediaStreamingOptions: {
      transportType: "websocket", transportUrl: ws.url("/media"), audioChannelType: "mixed", contentType: "audio",
      startMediaStreaming: false, enableBidirectional: true, audioFormat: "pcm24KMono", enableDtmfTones: true,
    },
    transcriptionOptions: { transportType: "websocket", transportUrl: ws.url("/transcription"), locale: "en-US", startTranscription: false, enableIntermediateResults: true },
  });
  const id = res.callConnectionProperties.callConnectionId;
  await waitKinds(id, "CallConnected", "ParticipantsUpdated");
  const media = res.callConnection.getCallMedia();

  await media.startMediaStreaming({ operationContext: "sdk-ms-start" });
  const started = await waitKind(id, "MediaStreamingStarted");
  assert.equal(started.operationContext, "sdk-ms-start");
  assert.equal(started.mediaStreamingUpdate.mediaStreamingStatus, "mediaStreamingStarted");
  const m = await ws.conn("/media");
  assert.equal(m.headers["x-ms-call-connection-id"], id);
  assert.equal(m.headers["x-ms-call-correlation-id"], res.callConnectionProperties.correlationId);
  verifyToken(m.headers.authorization);
  const meta = await waitMessage(m, "AudioMetadata", () => true);
  assert.equal(meta.kind, "AudioMetadata");
  assert.equal(meta.data.sampleRate, 24000);
  assert.equal(meta.data.encoding, "PCM");
  assert.equal(meta.data.subscriptionId, res.callConnectionProperties.mediaStreamingSubscription.id);
  const frame = await waitMessage(m, "AudioData", (x) => x.kind === "AudioData");
  assert.equal(Buffer.from(frame.data.data, "base64").length, 960, "a 20 ms frame at 24 kHz");
  assert.equal(frame.data.isSilent, true);
  assert.equal(frame.data.participant, undefined, "mixed audio names no participant");

  await media.startTranscription({ locale: "en-US" });
  await waitKind(id, "TranscriptionStarted");
  const t = await ws.conn("/transcription");
  const tmeta = await waitMessage(t, "TranscriptionMetadata", () => true);
  assert.equal(tmeta.kind, "TranscriptionMetadata");
  assert.equal(tmeta.data.callConnectionId, id);
  assert.equal(tmeta.data.locale, "en-US");

  const said = await control("POST", `/emulator/v1/calls/${id}/participants/${encodeURIComponent(target)}/say`, { text: "Testing transcription" });
  assert.equal(said.status, 204);
  const finalResult = await waitMessage(t, "a final TranscriptionData", (x) => x.kind === "TranscriptionData" && x.data.resultState === "Final");
  assert.equal(finalResult.data.text, "Testing transcription");
  assert.deepEqual(finalResult.data.words.map((w) => w.text), ["Testing", "transcription"]);
  assert.equal(finalResult.data.participant.communicationUserId, target);
  assert.ok(finalResult.data.durationInTicks > 0 && finalResult.data.confidence > 0);
  assert.ok(t.parsed.some((x) => x.kind === "TranscriptionData" && x.data.resultState === "Intermediate"), "intermediate results");
  await waitMessage(m, "voiced audio", (x) => x.kind === "AudioData" && !x.data.isSilent);

  const pressed = await control("POST", `/emulator/v1/calls/${id}/participants/${encodeURIComponent(target)}/sendTones`, { tones: "7" });
  assert.equal(pressed.status, 204);
  const dtmf = await waitMessage(m, "DtmfData", (x) => x.kind === "DtmfData");
  assert.equal(dtmf.data.data, "7");

  // Bidirectional: the SDK's own outbound messages, read back through the control API.
  const pcm = Buffer.alloc(960);
  for (let i = 0; i < 480; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 24000)), 2 * i);
  m.socket.send(createOutboundAudioData(pcm.toString("base64")));
  m.socket.send(createOutboundStopAudioData());
  const back = await fetch(`${emulatorURL}/emulator/v1/calls/${id}/media/received?minBytes=960`);
  const wav = Buffer.from(await back.arrayBuffer());
  assert.equal(wav.toString("ascii", 0, 4), "RIFF");
  assert.equal(wav.readUInt32LE(24), 24000);
  assert.deepEqual(wav.subarray(44), pcm);

  await media.updateTranscription("en-GB");
  const updated = await waitKind(id, "TranscriptionUpdated");
  assert.equal(updated.transcriptionUpdate.transcriptionStatusDetails, "transcriptionLocaleUpdated");
  await media.stopTranscription({ operationContext: "sdk-tr-stop" });
  await waitKind(id, "TranscriptionStopped", (e) => e.operationContext === "sdk-tr-stop");
  await media.stopMediaStreaming({ operationContext: "sdk-ms-stop" });
  const stopped = await waitKind(id, "MediaStreamingStopped");
  assert.equal(stopped.mediaStreamingUpdate.mediaStreamingStatusDetails, "subscriptionStopped");
  await waitFor("the media socket closed", () => m.closed && t.closed);

  // Started again: a new connection, metadata first.
  await media.startMediaStreaming();
  const again = await ws.conn("/media", 2);
  const first = await waitMessage(again, "the first message", () => true);
  assert.equal(first.kind, "AudioMetadata");
  await res.callConnection.hangUp(true);
  await waitFor("the sockets closed", () => again.closed);
});

// retarget is an HTTP client for the SDK that sends what it addresses to ACS's storage host to
// the emulator instead, changing nothing else: the stock SDK downloads only from
// *.asm.skype.com, as the sdk-wire captures were made.
function retarget() {
  const inner = createDefaultHttpClient();
  return {
    sendRequest: (req) => {
      req.url = req.url.replace("https://us-storage.asm.skype.com", emulatorURL);
      req.allowInsecureConnection = true;
      return inner.sendRequest(req);
    },
  };
}

test("recording: start, pause, resume, stop; its events parsed; its files downloaded and deleted as the SDK signs it", async () => {
  const hook = await control("PUT", "/emulator/v1/eventGridWebhook", { url: `${receiverURL}/eventgrid` });
  assert.equal(hook.status, 204);
  const target = user("sdk-recorded");
  const { id } = await connectedCall(target);
  const recorder = new CallAutomationClient(connectionString, { allowInsecureConnection: true, httpClient: retarget() }).getCallRecording();
  const startedAt = await recorder.start({ callConnectionId: id, recordingContent: "audio", recordingChannel: "mixed", recordingFormat: "wav", recordingStateCallbackEndpointUrl: cb() });
  const rid = startedAt.recordingId;
  assert.ok(rid.endsWith("="), `recording id ${rid}`);
  const active = await waitKind(id, "RecordingStateChanged", (e) => e.recordingId === rid);
  assert.equal(active.state, "active");
  assert.equal((await recorder.getState(rid)).recordingState, "active");
  await recorder.pause(rid);
  await waitKind(id, "RecordingStateChanged", (e) => e.recordingId === rid && e.state === "inactive");
  await recorder.resume(rid);
  await waitFor("active again", () => eventsOf(id).filter((e) => e.kind === "RecordingStateChanged").length === 3);
  await recorder.stop(rid);
  const file = await waitFor("RecordingFileStatusUpdated", () => recordingFiles.find((e) => e.subject.endsWith(`/recordingId/${rid}`)));
  const states = eventsOf(id).filter((e) => e.kind === "RecordingStateChanged").map((e) => e.state);
  assert.deepEqual(states, ["active", "inactive", "active", "inactive"]);
  const [chunk] = file.data.recordingStorageInfo.recordingChunks;
  assert.ok(chunk.contentLocation.startsWith(`${emulatorURL}/v1/objects/${chunk.documentId}/content/audio`));
  assert.equal(chunk.metadataLocation, `${emulatorURL}/v1/objects/${chunk.documentId}/content/acsmetadata`);

  const storage = (loc) => loc.replace(emulatorURL, "https://us-storage.asm.skype.com");
  const read = async (loc, options) => {
    const chunks = [];
    for await (const c of await recorder.downloadStreaming(storage(loc), options)) chunks.push(c);
    return Buffer.concat(chunks);
  };
  const wav = await read(chunk.contentLocation);
  assert.equal(wav.toString("ascii", 0, 4), "RIFF");
  assert.equal(wav.toString("ascii", 8, 12), "WAVE");
  assert.equal(wav.length - 44, (file.data.recordingDurationMs / 1000) * 32000, "the file lasts as long as the recording");
  const part = await read(chunk.contentLocation, { offset: 4, length: 8 });
  assert.deepEqual(part, wav.subarray(4, 12));
  const meta = JSON.parse(await read(chunk.metadataLocation));
  assert.equal(meta.chunkDocumentId, chunk.documentId);
  assert.equal(meta.pauseResumeIntervals.length, 1);
  await recorder.delete(storage(chunk.deleteLocation));
  await assert.rejects(read(chunk.contentLocation), (err) => err.status === 404 || /404/.test(JSON.stringify(err)));
  await expectRestError(recorder.getState(rid), 404, "8522");
  await client.getCallConnection(id).hangUp(true);
});
