#include "signed_in.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct otagw_signed_in_client *find(struct otagw_signed_in *table, const void *client)
{
	for(size_t i = 0; i < table->count; i++){
		if(table->items[i].client == client) return &table->items[i];
	}
	return NULL;
}

/* Moves the last record into the hole left by `record`. */
static void unlink_record(struct otagw_signed_in *table, struct otagw_signed_in_client *record)
{
	*record = table->items[table->count - 1];
	table->count--;
}

bool otagw_signed_in_add(struct otagw_signed_in *table, const void *client, const char *client_id, const char *pk,
                         size_t pk_len, const char *dn, size_t dn_len)
{
	size_t topic_len;
	char *topic, *id_copy;

	if(client == NULL || client_id == NULL || pk_len > 256 || dn_len > 256) return false;
	topic_len = strlen(OTAGW_DISCONNECTED_PREFIX) + pk_len + 1 + dn_len;
	topic = malloc(topic_len + 1);
	id_copy = strdup(client_id);
	if(topic == NULL || id_copy == NULL){
		free(topic);
		free(id_copy);
		return false;
	}
	snprintf(topic, topic_len + 1, "%s%.*s/%.*s", OTAGW_DISCONNECTED_PREFIX, (int)pk_len, pk, (int)dn_len, dn);
	otagw_signed_in_forget(table, client);
	if(table->count == table->cap){
		size_t cap = table->cap ? table->cap * 2 : 8;
		struct otagw_signed_in_client *items = realloc(table->items, cap * sizeof(*items));

		if(items == NULL){
			free(topic);
			free(id_copy);
			return false;
		}
		table->items = items;
		table->cap = cap;
	}
	table->items[table->count].client = client;
	table->items[table->count].topic = topic;
	table->items[table->count].client_id = id_copy;
	table->count++;
	return true;
}

bool otagw_signed_in_take(struct otagw_signed_in *table, const void *client, struct otagw_signed_in_client *out)
{
	struct otagw_signed_in_client *record = find(table, client);

	if(record == NULL) return false;
	*out = *record;
	unlink_record(table, record);
	return true;
}

void otagw_signed_in_forget(struct otagw_signed_in *table, const void *client)
{
	struct otagw_signed_in_client taken;

	if(!otagw_signed_in_take(table, client, &taken)) return;
	free(taken.topic);
	free(taken.client_id);
}

void otagw_signed_in_clear(struct otagw_signed_in *table)
{
	for(size_t i = 0; i < table->count; i++){
		free(table->items[i].topic);
		free(table->items[i].client_id);
	}
	free(table->items);
	memset(table, 0, sizeof(*table));
}
