export { EmailChannel, type EmailChannelOptions, type EmailPoolOptions } from './email-channel';
export { composeEmail } from './compose-email';
export { isSendableEmailAddress } from './email-address';
export { smtpFailureOutcome, parseEnhancedStatus, type SmtpFailure, type EnhancedStatus, type UndeliveredOutcome } from './smtp-outcome';
export {
  signUnsubscribeToken,
  verifyUnsubscribeToken,
  UNSUBSCRIBE_TOKEN_TTL_MS,
  ALL_EVENT_TYPES,
  type UnsubscribeClaims,
  type UnsubscribeTokenCheck,
} from './unsubscribe-token';
