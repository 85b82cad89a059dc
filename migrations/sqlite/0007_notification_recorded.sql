-- Notification events that no channel was routed to were marked Sent although nothing went
-- out; they are Recorded (kept in the in-app inbox only), with no sent_at.
UPDATE notification_events SET status = 'Recorded', sent_at = NULL
WHERE status = 'Sent'
  AND NOT EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = notification_events.id);
