import type { SendMailOptions } from 'nodemailer';
import type { Attempt, Notification } from '../../channel';
import { domainOf } from './email-address';
import { messageIdFor, notificationHeaders } from './email-headers';
import { renderEmail } from './render-email';

/**
 * The whole message for one delivery, as nodemailer options: built without any transport,
 * so a test can render it (nodemailer's stream transport) and read every header and part.
 */
export function composeEmail(input: {
  from: string;
  /** The address inside `from`: its domain names the Message-ID. */
  fromAddress: string;
  to: string;
  notification: Notification;
  attempt: Attempt;
  unsubscribeUrl: string;
}): SendMailOptions {
  const { notification } = input;
  const content = renderEmail(notification, input.unsubscribeUrl);
  return {
    from: input.from,
    to: input.to,
    // The envelope names the one recipient explicitly, whatever the headers say.
    envelope: { from: input.fromAddress, to: [input.to] },
    subject: content.subject,
    text: content.text,
    html: content.html,
    messageId: messageIdFor(input.attempt.deliveryId, domainOf(input.fromAddress)),
    headers: notificationHeaders({ eventId: notification.eventId, type: notification.type, unsubscribeUrl: input.unsubscribeUrl }),
  };
}
