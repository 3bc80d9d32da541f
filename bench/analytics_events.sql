-- make bench: a million analytics events over the 90 days up to now, in one INSERT.
-- Eight events a session (125 000 sessions): a start, three product views, a search,
-- a cart add, a checkout start, and an order placed (a third of the sessions), paid
-- (by a webhook: no session) or one more product view. :events is the row count.
INSERT INTO analytics_events (kind, occurred_at, session, device, product_id, order_id, value, data)
SELECT
    CASE g % 8
        WHEN 0 THEN 'session.started'
        WHEN 4 THEN 'search'
        WHEN 5 THEN 'cart.added'
        WHEN 6 THEN 'checkout.started'
        WHEN 7 THEN CASE (g / 8) % 3 WHEN 0 THEN 'order.placed' WHEN 1 THEN 'order.paid'
                    ELSE 'product.viewed' END
        ELSE 'product.viewed'
    END,
    now() - (((g / 8) * 7919) % (90 * 86400)) * interval '1 second' + (g % 8) * interval '1 minute',
    CASE WHEN g % 8 = 7 AND (g / 8) % 3 = 1 THEN NULL ELSE 'bench' || (g / 8) END,
    CASE WHEN (g / 8) % 10 < 6 THEN 'mobile' WHEN (g / 8) % 10 < 9 THEN 'desktop' ELSE 'tablet' END,
    CASE WHEN g % 8 IN (1, 2, 3, 5) THEN 1 + g % 1000 END,
    CASE WHEN g % 8 = 7 AND (g / 8) % 3 = 0 THEN g / 8
         WHEN g % 8 = 7 AND (g / 8) % 3 = 1 THEN g / 8 - 1 END,
    CASE WHEN g % 8 = 7 AND (g / 8) % 3 = 0 THEN 1000 + g % 9000 END,
    CASE WHEN g % 8 = 4 THEN json_build_object(
            'q', (ARRAY['lamp', 'desk', 'chair', 'mug', 'sofa', 'rug'])[1 + (g / 8) % 6],
            'results', CASE (g / 8) % 5 WHEN 0 THEN 0 ELSE 4 END)
         ELSE '{}'::json END
FROM generate_series(0, :events - 1) AS g;
